import { agentpb } from '@app/contracts';
import {
  AGENT_MESSAGE,
  FieldRule,
  MAP_FIELD_NAMES,
  MessageLimits,
  MessageRule,
  payloadOfType,
} from './agent-message.rules';
import { toEpochMs } from './epoch-time';
import { Rejection, reject } from './rejection';

const { AgentMessage, DataType } = agentpb;
type AgentMessage = agentpb.AgentMessage;

export interface ValidationContext extends MessageLimits {
  nowMs: number;
  maxFutureSkewMs: number;
}

/** What the decoding path found: the decoded message (unless undecodable) and its verdict. */
export type DecodedVerdict =
  | { message: undefined; rejection: Rejection }
  | { message: AgentMessage; rejection: Rejection }
  | {
      message: AgentMessage;
      rejection: undefined;
      timestampMs: number;
      eventTimestampMs: number | undefined;
    };

/**
 * The decoding path: the generated decoder, then the rules of agent-message.rules.ts on the
 * objects. It decides every message the wire reader's fast path is not sure of, and words the DLQ
 * reason with the field's path. The first problem found is the rejection.
 */
export function decodeAndValidate(
  bytes: Uint8Array,
  agentKey: string,
  ctx: ValidationContext,
): DecodedVerdict {
  let message: AgentMessage;
  try {
    message = AgentMessage.decode(bytes);
  } catch (error) {
    return {
      message: undefined,
      rejection: reject('undecodable', `not a valid AgentMessage: ${(error as Error).message}`),
    };
  }
  if (message.agentKey !== agentKey) {
    return {
      message,
      rejection: reject(
        'agent_key_mismatch',
        'agent_key in the message differs from the authorization metadata',
      ),
    };
  }
  const rejection = validateAgentMessage(message, ctx);
  if (rejection) return { message, rejection };
  // An absent (zero) timestamp takes the gateway's receive time; an absurd one is rejected.
  const timestamp = epochMsOrNow(message.timestamp, ctx);
  if (!timestamp.ok)
    return { message, rejection: reject('absurd_timestamp', `timestamp: ${timestamp.detail}`) };
  const eventTimestamp = message.eventData ? epochMsOrNow(message.eventData.timestamp, ctx) : undefined;
  return {
    message,
    rejection: undefined,
    timestampMs: timestamp.ms,
    // validateAgentMessage already refused an implausible event timestamp.
    eventTimestampMs: eventTimestamp?.ok ? eventTimestamp.ms : undefined,
  };
}

function epochMsOrNow(raw: string, ctx: ValidationContext) {
  return raw === '0' ? { ok: true as const, ms: ctx.nowMs } : toEpochMs(raw, ctx.nowMs, ctx.maxFutureSkewMs);
}

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
const PAYLOAD_NAMES = AGENT_MESSAGE.payloads.map((p) => p.name);

/** Semantic checks on a decoded AgentMessage; the first problem found is the rejection. */
export function validateAgentMessage(message: AgentMessage, ctx: ValidationContext): Rejection | undefined {
  const expected = payloadOfType(message.type);
  if (!expected) return reject('unknown_type', `type ${message.type} is not a known DataType`);
  const present = PAYLOAD_NAMES.filter((name) => message[name] !== undefined);
  if (present.length === 0)
    return reject('missing_payload', `type ${DataType[message.type]} without a payload`);
  if (present.length > 1) return reject('multiple_payloads', `payloads ${present.join(', ')} in one message`);
  if (present[0] !== expected.name) {
    return reject('type_mismatch', `type ${DataType[message.type]} carries ${present[0]}`);
  }
  if (message.host.length > AGENT_MESSAGE.hostMaxChars || CONTROL_CHARACTERS.test(message.host)) {
    return reject(
      'invalid_host',
      `host must be at most ${AGENT_MESSAGE.hostMaxChars} characters without control characters`,
    );
  }
  return (
    checkLimits(message, ctx) ??
    checkRanges(message[expected.name] as unknown as Record<string, unknown>, expected.rule, expected.name) ??
    checkEventTime(message, ctx)
  );
}

/** Rules with a number range somewhere under them: only those are walked for ranges. */
const WITH_RANGES = new Set<MessageRule>();
for (const payload of AGENT_MESSAGE.payloads) markRanges(payload.rule);
function markRanges(rule: MessageRule): boolean {
  const found = rule.fields.some((f) => f.range !== undefined || (f.of !== undefined && markRanges(f.of)));
  if (found) WITH_RANGES.add(rule);
  return found;
}

/** Every double of the payload within its rule's range (NaN and infinities never are). */
function checkRanges(value: Record<string, unknown>, rule: MessageRule, path: string): Rejection | undefined {
  if (!WITH_RANGES.has(rule)) return undefined;
  for (const field of rule.fields) {
    const child = value[field.name];
    const at = `${path}.${field.name}`;
    const found = field.range ? checkRange(child as number, field, at) : checkNested(child, field, at);
    if (found) return found;
  }
  return undefined;
}

function checkRange(value: number, field: FieldRule, path: string): Rejection | undefined {
  const { min, max } = field.range!;
  return value >= min && value <= max ? undefined : reject('invalid_number', `${path} is ${value}`);
}

function checkNested(value: unknown, field: FieldRule, path: string): Rejection | undefined {
  if (!field.of || value === undefined || value === null) return undefined;
  if (field.map) {
    const valueRule = field.of.fields[1].of;
    if (!valueRule) return undefined;
    for (const [key, entry] of Object.entries(value as Record<string, Record<string, unknown>>)) {
      const found = checkRanges(entry, valueRule, `${path}{${key}}`);
      if (found) return found;
    }
    return undefined;
  }
  if (field.kind === 'messages') {
    const items = value as Record<string, unknown>[];
    for (let i = 0; i < items.length; i++) {
      const found = checkRanges(items[i], field.of, `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  return checkRanges(value as Record<string, unknown>, field.of, path);
}

function checkEventTime(message: AgentMessage, ctx: ValidationContext): Rejection | undefined {
  const ts = message.eventData?.timestamp;
  if (ts === undefined || ts === '0') return undefined;
  const result = toEpochMs(ts, ctx.nowMs, ctx.maxFutureSkewMs);
  return result.ok ? undefined : reject('absurd_timestamp', `eventData.timestamp: ${result.detail}`);
}

/**
 * Walks a decoded message once: every string within the byte limit, every list and map within
 * the item limit, every number finite. Returns the first violation, with the field path.
 *
 * The walk builds no path strings: only once it found a violation does a second walk, in the same
 * order, describe where it is.
 */
function checkLimits(value: unknown, limits: MessageLimits): Rejection | undefined {
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
            if (!withinLimits(child, limits, !isMap && MAP_FIELD_NAMES.has(key))) return false;
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
    if (MAP_FIELD_NAMES.has(field) && keys.length > limits.maxListItems) {
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
        MAP_FIELD_NAMES.has(field) ? '' : key,
      );
      if (found) return found;
    }
  }
  return undefined;
}
