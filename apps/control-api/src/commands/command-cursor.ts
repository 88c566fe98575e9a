/** Where a page of commands ended, in the list's order: newest request first, then command id. */
export interface CommandPosition {
  requestedAtMs: number;
  commandId: string;
}

/** Opaque to clients: base64url of `<requested_at_ms>:<command_id>`. */
export function encodeCursor(position: CommandPosition): string {
  return Buffer.from(`${position.requestedAtMs}:${position.commandId}`).toString('base64url');
}

/** undefined when the text is not a cursor this API gave out. */
export function decodeCursor(cursor: string): CommandPosition | undefined {
  const match = /^(\d{1,16}):([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) return undefined;
  return { requestedAtMs: Number(match[1]), commandId: match[2] };
}

/** Newest first; equal times by command id, descending. Negative: `a` is listed before `b`. */
export function compareNewestFirst(a: CommandPosition, b: CommandPosition): number {
  if (a.requestedAtMs !== b.requestedAtMs) return b.requestedAtMs - a.requestedAtMs;
  return a.commandId < b.commandId ? 1 : a.commandId > b.commandId ? -1 : 0;
}
