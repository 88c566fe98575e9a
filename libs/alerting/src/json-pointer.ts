/** One JSON pointer segment (RFC 6901): `~` → `~0`, `/` → `~1`. */
export function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointer(...keys: string[]): string {
  return keys.map((key) => `/${pointerSegment(key)}`).join('');
}

/** The keys of a JSON pointer; '' → []. */
export function pointerKeys(path: string): string[] {
  if (path === '') return [];
  return path
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}
