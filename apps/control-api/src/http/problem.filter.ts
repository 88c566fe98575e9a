import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Inject } from '@nestjs/common';
import type { Request, Response } from 'express';
import { AppLogger, LOGGER } from '@app/observability';
import { Problem, problem, ProblemCode, ProblemException } from './problem';

const CODE_BY_STATUS: Record<number, ProblemCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  503: 'unavailable',
};

/**
 * Every error leaves as `application/problem+json` (RFC 9457) with a stable `code`: our own
 * problems as thrown, Nest's and the body parser's by status (a route that does not exist is
 * `not_found`, a body over the limit `payload_too_large`), anything else a logged 500.
 */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: AppLogger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    const body = { ...this.toProblem(exception), instance: req.path };
    res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  }

  private toProblem(exception: unknown): Problem {
    if (exception instanceof ProblemException) return exception.problem;
    const status = statusOf(exception);
    const code = status === undefined ? undefined : CODE_BY_STATUS[status];
    if (code) return problem(code, detailOf(exception, code));
    this.logger.error({ err: exception }, 'request failed');
    return problem('internal', 'internal error');
  }
}

/** Nest's HttpException, or the body parser's error (`status`/`type` fields, e.g. entity.too.large). */
function statusOf(exception: unknown): number | undefined {
  if (exception instanceof HttpException) return exception.getStatus();
  const status = (exception as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' ? status : undefined;
}

const DETAILS: Partial<Record<ProblemCode, string>> = {
  payload_too_large: 'request body over the size limit',
  not_found: 'no such resource',
  invalid_request: 'request body is not valid JSON',
};

function detailOf(exception: unknown, code: ProblemCode): string {
  return DETAILS[code] ?? (exception instanceof Error ? exception.message : code);
}
