/** A statement the reader refuses before the engine runs it (HTTP 403). */
export class ReadOnlyViolation extends Error {
  readonly code = 'READONLY';
}

/** The reader could not set up a session that the engine keeps read-only: nothing runs. */
export class ReaderUnavailable extends Error {
  readonly code = 'READER_UNAVAILABLE';
}
