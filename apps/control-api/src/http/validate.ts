import type { z } from 'zod';
import { fail } from './problem';

/** Parses one part of a request; the first issue becomes a 400 naming its field (`/body/name`). */
export function parse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  part: 'body' | 'query' | 'path',
): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const keys = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]] : issue.path;
  const field = `/${[part, ...keys.map(String)].join('/')}`;
  const message = issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
  fail('invalid_request', `${field}: ${message}`, field);
}
