import { ConfigError } from '@app/config';

/** An error as an operator needs it: bad configuration as its list of variables, anything else with its stack and causes. */
export function describeStartFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error instanceof ConfigError) return error.message;
  const cause = error.cause === undefined ? '' : `\nCaused by: ${describeStartFailure(error.cause)}`;
  return `${error.stack ?? error.message}${cause}`;
}
