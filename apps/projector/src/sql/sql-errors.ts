import { HttpStatus } from '@nestjs/common';

/** Engine codes (ClickHouse's ErrorCodes) and our own, mapped to what an HTTP caller can act on. */
const STATUS_BY_CODE: Record<string, HttpStatus> = {
  READONLY: HttpStatus.FORBIDDEN,
  '164': HttpStatus.FORBIDDEN, // READONLY: the engine refused a write or a setting
  '497': HttpStatus.FORBIDDEN, // ACCESS_DENIED
  '159': HttpStatus.GATEWAY_TIMEOUT, // TIMEOUT_EXCEEDED (max_execution_time)
  READER_UNAVAILABLE: HttpStatus.SERVICE_UNAVAILABLE,
  WORKER_DOWN: HttpStatus.SERVICE_UNAVAILABLE,
  DEADLINE: HttpStatus.GATEWAY_TIMEOUT,
};

/**
 * A refused statement is 403, a query that ran out of time 504, a reader that is down or
 * restarting 503; anything else the engine said about the query (syntax, unknown column, a limit
 * reached) is the caller's to fix: 400.
 */
export function statusForSqlError(code: string | undefined): HttpStatus {
  return (code !== undefined && STATUS_BY_CODE[code]) || HttpStatus.BAD_REQUEST;
}

/** The engine's first line, without its stack or the echo of the whole query. */
export function sqlErrorMessage(message: string): string {
  return message.split('\n')[0].slice(0, 2000);
}
