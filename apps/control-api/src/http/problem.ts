import { HttpException } from '@nestjs/common';

/** Stable `code`s of problem documents: clients branch on these, never on `detail`. */
export const PROBLEM_CODES = {
  invalid_request: 400,
  tenant_required: 400,
  tenant_not_allowed: 400,
  unauthorized: 401,
  not_found: 404,
  conflict: 409,
  key_not_active: 409,
  container_ambiguous: 409,
  idempotency_key_reused: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unavailable: 503,
  internal: 500,
} as const;
export type ProblemCode = keyof typeof PROBLEM_CODES;

/** An RFC 9457 problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ProblemCode;
  detail: string;
  /** 400: the offending field, as a JSON pointer into the body, query or path (`/body/name`). */
  field?: string;
  instance?: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function problem(code: ProblemCode, detail: string, field?: string): Problem {
  const status = PROBLEM_CODES[code];
  return {
    type: `urn:containeragent:problem:${code}`,
    title: TITLES[status] ?? 'Error',
    status,
    code,
    detail,
    ...(field === undefined ? {} : { field }),
  };
}

export class ProblemException extends HttpException {
  constructor(readonly problem: Problem) {
    super(problem, problem.status);
  }
}

export function fail(code: ProblemCode, detail: string, field?: string): never {
  throw new ProblemException(problem(code, detail, field));
}
