/** Where a page ended in a list ordered newest first: a time, then an id (descending). */
export interface Position {
  atMs: number;
  id: string;
}

/** Opaque to clients: base64url of `<ms>:<id>`. */
export function encodePosition(position: Position): string {
  return Buffer.from(`${position.atMs}:${position.id}`).toString('base64url');
}

/** undefined when the text is not a cursor this API gave out. */
export function decodePosition(cursor: string): Position | undefined {
  const match = /^(\d{1,16}):([\x21-\x7e]{1,256})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) return undefined;
  return { atMs: Number(match[1]), id: match[2] };
}

/** Newest first; equal times by id, descending. Negative: `a` is listed before `b`. */
export function compareNewestFirst(a: Position, b: Position): number {
  if (a.atMs !== b.atMs) return b.atMs - a.atMs;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * One page of `sorted` (in compareNewestFirst order of `positionOf`) after `after`, keeping what
 * `keep` accepts; `next` is set when more may follow.
 */
export function pageAfter<T>(
  sorted: readonly T[],
  positionOf: (item: T) => Position,
  keep: (item: T) => boolean,
  limit: number,
  after?: Position,
): { items: T[]; next?: Position } {
  let start = 0;
  if (after) {
    let hi = sorted.length;
    while (start < hi) {
      const mid = (start + hi) >>> 1;
      if (compareNewestFirst(positionOf(sorted[mid]), after) <= 0) start = mid + 1;
      else hi = mid;
    }
  }
  const items: T[] = [];
  for (let i = start; i < sorted.length; i++) {
    if (!keep(sorted[i])) continue;
    if (items.length === limit) return { items, next: positionOf(items[items.length - 1]) };
    items.push(sorted[i]);
  }
  return { items };
}
