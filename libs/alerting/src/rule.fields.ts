import { formatDuration, parseDuration } from './duration';
import { pointer } from './json-pointer';
import type { FieldError } from './rule.types';

export const DAY_MS = 24 * 3600_000;

// Readers for one field each: they return the value, or undefined after recording an error. A
// missing field (undefined or YAML's empty value, null) is reported by the caller, which knows
// whether it is required.

export type Fields = Record<string, unknown>;

export class FieldReader {
  readonly errors: FieldError[] = [];

  fail(field: string, message: string): undefined {
    this.errors.push({ field, message });
    return undefined;
  }

  object(value: unknown, field: string, allowed: readonly string[]): Fields | undefined {
    if (!isPlainObject(value)) return this.fail(field, `must be an object, got ${describe(value)}`);
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key))
        this.fail(field + pointer(key), `unknown field (allowed: ${allowed.join(', ')})`);
    }
    return value;
  }

  string(value: unknown, field: string, pattern?: RegExp, maxLength = 1024): string | undefined {
    if (typeof value !== 'string') return this.fail(field, `must be a string, got ${describe(value)}`);
    if (value.length > maxLength) return this.fail(field, `must be at most ${maxLength} characters`);
    if (pattern && !pattern.test(value)) return this.fail(field, `must match ${String(pattern)}`);
    return value;
  }

  integer(value: unknown, field: string, min: number, max: number): number | undefined {
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      return this.fail(field, `must be an integer, got ${describe(value)}`);
    }
    if (value < min || value > max) return this.fail(field, `must be between ${min} and ${max}`);
    return value;
  }

  duration(value: unknown, field: string, minMs: number, maxMs: number): number | undefined {
    let ms: number;
    try {
      ms = parseDuration(value as string | number);
    } catch (error) {
      return this.fail(field, (error as Error).message);
    }
    if (ms < minMs) return this.fail(field, `must be at least ${formatDuration(minMs)}`);
    if (ms > maxMs) return this.fail(field, `must be at most ${formatDuration(maxMs)}`);
    return ms;
  }

  /** A string map such as labels: entry count, key pattern and length, value length. */
  stringMap(
    value: unknown,
    field: string,
    reserved: readonly string[] = [],
  ): Record<string, string> | undefined {
    if (!isPlainObject(value)) return this.fail(field, `must be a map of strings, got ${describe(value)}`);
    const entries = Object.entries(value);
    if (entries.length > 32) return this.fail(field, `must have at most 32 entries, has ${entries.length}`);
    const out: Record<string, string> = {};
    let ok = true;
    for (const [key, item] of entries) {
      const at = field + pointer(key);
      if (key.length > 64 || !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(key)) {
        ok = this.fail(at, 'name must match ^[a-zA-Z_][a-zA-Z0-9_]*$ and be at most 64 characters') ?? false;
      } else if (reserved.includes(key)) {
        ok =
          this.fail(at, `'${key}' is set by the alerter itself (reserved: ${reserved.join(', ')})`) ?? false;
      } else if (typeof item !== 'string') {
        ok = this.fail(at, `must be a string, got ${describe(item)} (quote it)`) ?? false;
      } else if (item.length > 1024) {
        ok = this.fail(at, 'must be at most 1024 characters') ?? false;
      } else {
        out[key] = item;
      }
    }
    return ok ? out : undefined;
  }
}

export function isPlainObject(value: unknown): value is Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** YAML writes an empty value as null; both mean "not given". */
export function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}
