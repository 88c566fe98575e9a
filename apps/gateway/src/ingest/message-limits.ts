import { Rejection, reject } from './rejection';

/** The seed's map fields: their entry count is bounded like a list (messages' own fields are not). */
const MAP_FIELDS = new Set(['labels', 'attrs', 'ports', 'networks']);

export interface MessageLimits {
  maxStringBytes: number;
  maxListItems: number;
}

/**
 * Walks a decoded message once: every string within the byte limit, every list and map within
 * the item limit, every number finite. Returns the first violation, with the field path.
 */
export function checkLimits(
  value: unknown,
  limits: MessageLimits,
  path = '',
  field = '',
): Rejection | undefined {
  if (typeof value === 'string') {
    if (
      value.length > limits.maxStringBytes ||
      (value.length * 3 > limits.maxStringBytes && Buffer.byteLength(value) > limits.maxStringBytes)
    ) {
      return reject('string_too_long', `${path} is longer than ${limits.maxStringBytes} bytes`);
    }
    return undefined;
  }
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : reject('invalid_number', `${path} is ${value}`);
  }
  if (Array.isArray(value)) {
    if (value.length > limits.maxListItems) {
      return reject('list_too_long', `${path} has ${value.length} items, more than ${limits.maxListItems}`);
    }
    for (let i = 0; i < value.length; i++) {
      const found = checkLimits(value[i], limits, `${path}[${i}]`, '');
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (MAP_FIELDS.has(field) && keys.length > limits.maxListItems) {
      return reject('list_too_long', `${path} has ${keys.length} entries, more than ${limits.maxListItems}`);
    }
    for (const key of keys) {
      const keyProblem = checkLimits(key, limits, `${path}{key}`);
      if (keyProblem) return keyProblem;
      const child = (value as Record<string, unknown>)[key];
      const found = checkLimits(
        child,
        limits,
        path ? `${path}.${key}` : key,
        MAP_FIELDS.has(field) ? '' : key,
      );
      if (found) return found;
    }
  }
  return undefined;
}
