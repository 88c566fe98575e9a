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
 *
 * The walk builds no path strings: only once it found a violation does a second walk, in the same
 * order, describe where it is.
 */
export function checkLimits(value: unknown, limits: MessageLimits): Rejection | undefined {
  return withinLimits(value, limits, false) ? undefined : describeViolation(value, limits, '', '');
}

function stringTooLong(value: string, max: number): boolean {
  return value.length > max || (value.length * 3 > max && Buffer.byteLength(value) > max);
}

/** Whether everything under `value` is within the limits; `isMap` tells a map from a message. */
function withinLimits(value: unknown, limits: MessageLimits, isMap: boolean): boolean {
  switch (typeof value) {
    case 'string':
      return !stringTooLong(value, limits.maxStringBytes);
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        if (value.length > limits.maxListItems) return false;
        for (let i = 0; i < value.length; i++) {
          if (!withinLimits(value[i], limits, false)) return false;
        }
        return true;
      }
      const record = value as Record<string, unknown>;
      let entries = 0;
      for (const key in record) {
        if (!Object.prototype.hasOwnProperty.call(record, key)) continue;
        entries++;
        if (stringTooLong(key, limits.maxStringBytes)) return false;
        const child = record[key];
        switch (typeof child) {
          case 'string':
            if (stringTooLong(child, limits.maxStringBytes)) return false;
            break;
          case 'number':
            if (!Number.isFinite(child)) return false;
            break;
          case 'object':
            if (!withinLimits(child, limits, !isMap && MAP_FIELDS.has(key))) return false;
            break;
          case 'bigint':
          case 'boolean':
          case 'function':
          case 'symbol':
          case 'undefined':
            break;
        }
      }
      return !(isMap && entries > limits.maxListItems);
    }
    case 'bigint':
    case 'boolean':
    case 'function':
    case 'symbol':
    case 'undefined':
      return true;
  }
}

/** The original walk with field paths: run only on a message known to violate a limit. */
function describeViolation(
  value: unknown,
  limits: MessageLimits,
  path: string,
  field: string,
): Rejection | undefined {
  if (typeof value === 'string') {
    if (stringTooLong(value, limits.maxStringBytes)) {
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
      const found = describeViolation(value[i], limits, `${path}[${i}]`, '');
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
      const keyProblem = describeViolation(key, limits, `${path}{key}`, '');
      if (keyProblem) return keyProblem;
      const child = (value as Record<string, unknown>)[key];
      const found = describeViolation(
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
