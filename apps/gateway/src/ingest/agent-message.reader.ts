import { isUtf8 } from 'node:buffer';
import { agentpb } from '@app/contracts';
import { BufferSlab } from '@app/kafka';
import { AGENT_MESSAGE, FieldRule, MessageLimits, MessageRule } from './agent-message.rules';
import { decodeAndValidate } from './agent-message.validator';
import { plausibleEpochMs, toEpochMs } from './epoch-time';
import { Rejection, reject } from './rejection';

/**
 * The one reader of the AgentMessage wire format: it decides what becomes of a message's bytes
 * and splices the record value that goes to Kafka.
 *
 * The fast path walks the protobuf bytes without building objects, checking the rules of
 * agent-message.rules.ts field by field, and forwards the agent's own bytes with `agent_key`
 * removed and `timestamp` normalized to epoch ms. It is deliberately one-sided: it only ever
 * accepts. Anything it is not certain of (a rejection of any kind, events, non-ASCII keys or
 * hosts, repeated top-level key or timestamp, groups, overlong varints, fields running past their
 * message) goes to the decoding path (agent-message.validator.ts: the generated decoder and the
 * same rules on objects), which decides and words the DLQ reason. Where the generated decoder
 * keeps only the last occurrence of a field, the walk checks every occurrence: stricter, never
 * laxer. agent-message.reader.spec.ts compares both paths on thousands of generated messages.
 */
export interface ReaderSettings extends MessageLimits {
  maxFutureSkewMs: number;
}

/** What becomes of a message: forwarded to its DataType's topic, or dead-lettered. */
export interface ReadResult {
  /** Undefined: `value` goes to the data topic of `type`. Otherwise `value` goes to the DLQ. */
  rejection: Rejection | undefined;
  type: number;
  /** The record key's host part ('' when the message has none or is undecodable). */
  host: string;
  /** The record value: without `agent_key` (no copy of the secret reaches Kafka). */
  value: Buffer;
  /** Whether the decoding path decided (false: the fast path accepted it). */
  decoded: boolean;
}

const { AgentMessage, DataType } = agentpb;

export class AgentMessageReader {
  /** The fast path's result, reused: valid until the next `read`. */
  private readonly fast: ReadResult = {
    rejection: undefined,
    type: 0,
    host: '',
    value: Buffer.alloc(0),
    decoded: false,
  };
  private readonly verdict = newWireVerdict();

  constructor(private readonly settings: ReaderSettings) {}

  /**
   * The verdict on one message and its record value; the result is valid until the next call.
   * `bytes` become the reader's: the fast path may splice the value in place, overwriting the
   * bytes before the payload (the gateway owns each message's buffer, grpc-js made it).
   */
  read(bytes: Buffer, agentKey: string, receivedAtMs: number): ReadResult {
    const v = this.verdict;
    if (!checkWire(bytes, agentKey, receivedAtMs, this.settings, v)) {
      return this.readByDecoding(bytes, agentKey, receivedAtMs);
    }
    const out = this.fast;
    out.type = v.type;
    out.host = bytes.toString('latin1', v.hostStart, v.hostEnd);
    out.value = forwardedValue(bytes, v);
    return out;
  }

  /** The decoding path alone (the reference of the differential spec). */
  readByDecoding(bytes: Buffer, agentKey: string, receivedAtMs: number): ReadResult {
    let fields: WireField[];
    try {
      fields = scanTopLevelFields(bytes);
    } catch (error) {
      return undecodable(bytes, agentKey, error as Error);
    }
    const verdict = decodeAndValidate(bytes, agentKey, { ...this.settings, nowMs: receivedAtMs });
    if (verdict.message === undefined) return dlq(Buffer.from(bytes), agentKey, verdict.rejection, -1, '');
    const { message } = verdict;
    const host = message.host;
    if (verdict.rejection) {
      return dlq(rebuildWithout(bytes, fields, DROP_KEY), agentKey, verdict.rejection, message.type, host);
    }
    const { timestampMs, eventTimestampMs } = verdict;
    let value: Buffer;
    if (message.type !== DataType.CONTAINER_EVENT || !message.eventData) {
      value = rebuildWithout(
        bytes,
        fields,
        DROP_KEY_AND_TIME,
        encodeVarintField(AGENT_MESSAGE.timestampField, timestampMs),
        lastPayloadField(fields),
      );
    } else {
      // Events carry a second, nested timestamp: re-encoded (events are rare next to stats).
      value = Buffer.from(
        AgentMessage.encode({
          ...message,
          agentKey: '',
          timestamp: String(timestampMs),
          eventData: { ...message.eventData, timestamp: String(eventTimestampMs ?? receivedAtMs) },
        }).finish(),
      );
    }
    return { rejection: undefined, type: message.type, host, value, decoded: true };
  }
}

const DROP_KEY = new Set([AGENT_MESSAGE.keyField]);
const DROP_KEY_AND_TIME = new Set([AGENT_MESSAGE.keyField, AGENT_MESSAGE.timestampField]);

function undecodable(bytes: Buffer, agentKey: string, error: Error): ReadResult {
  const rejection = reject('undecodable', `not a valid AgentMessage: ${error.message}`);
  return dlq(Buffer.from(bytes), agentKey, rejection, -1, '');
}

function dlq(value: Buffer, agentKey: string, rejection: Rejection, type: number, host: string): ReadResult {
  scrubSecret(value, agentKey);
  return { rejection, type, host, value, decoded: true };
}

/** Defence in depth: no copy of the agent's key may reach Kafka, even inside unparsable bytes. */
function scrubSecret(value: Buffer, secret: string): void {
  if (secret.length === 0) return;
  const needle = Buffer.from(secret, 'utf8');
  for (let at = value.indexOf(needle); at >= 0; at = value.indexOf(needle, at + needle.length)) {
    value.fill(0x2a, at, at + needle.length);
  }
}

// ---- The fast path's walk ------------------------------------------------------------------

/** Where the walk found what the forwarded value needs. */
interface WireVerdict {
  /** DataType: 0 (list), 1 (inspect) or 2 (stats); events always take the decoding path. */
  type: number;
  /** The (last) host field's bytes: ASCII, so latin1 decoding gives the generated decoder's string. */
  hostStart: number;
  hostEnd: number;
  /** The normalized timestamp (the receive time when absent or zero). */
  timestampMs: number;
  /** The top-level agent_key / timestamp fields (tag included), -1 when absent. */
  keyFieldStart: number;
  keyFieldEnd: number;
  timeFieldStart: number;
  timeFieldEnd: number;
  /** Where the payload field's tag is, when it occurs once and is the message's last field; else -1. */
  lastPayloadStart: number;
}

const newWireVerdict = (): WireVerdict => ({
  type: 0,
  hostStart: 0,
  hostEnd: 0,
  timestampMs: 0,
  keyFieldStart: -1,
  keyFieldEnd: -1,
  timeFieldStart: -1,
  timeFieldEnd: -1,
  lastPayloadStart: -1,
});

/** The walk's field kinds (numbers, for the hot loop), compiled from the rules' kinds. */
const STRING = 1;
const VARINT = 2;
const DOUBLE = 3;
const MESSAGE = 4;
const REPEATED_MESSAGE = 5; // maps too: one entry message per occurrence
const REPEATED_STRING = 6;
const KIND_CODE: Record<FieldRule['kind'], number> = {
  string: STRING,
  varint: VARINT,
  double: DOUBLE,
  message: MESSAGE,
  messages: REPEATED_MESSAGE,
  strings: REPEATED_STRING,
};
/** The wire type a field of each kind must have; with another one, the generated decoder skips it. */
const WIRE_TYPE_OF_KIND = [-1, 2, 0, 1, 2, 2, 2];

/** A MessageRule as arrays indexed by field number. */
interface Schema {
  kind: Uint8Array;
  sub: (Schema | undefined)[];
  /** For repeated fields: which of the walk's four counters counts them. */
  slot: Uint8Array;
  /** For doubles: the inclusive range. */
  min: Float64Array;
  max: Float64Array;
  /**
   * For doubles with range [0, max]: the biased binary exponent of max. A non-negative double with
   * a smaller exponent is below max (0 disables the shortcut).
   */
  exponentBelow: Uint16Array;
  /** By one-byte tag: the field's kind when the tag names a known field with its wire type, else 0. */
  kindOfTag: Uint8Array;
}

const compiled = new Map<MessageRule, Schema>();

function compile(rule: MessageRule): Schema {
  const known = compiled.get(rule);
  if (known) return known;
  const size = Math.max(...rule.fields.map((f) => f.number)) + 1;
  const schema: Schema = {
    kind: new Uint8Array(size),
    sub: new Array<Schema | undefined>(size).fill(undefined),
    slot: new Uint8Array(size),
    min: new Float64Array(size),
    max: new Float64Array(size),
    exponentBelow: new Uint16Array(size),
    kindOfTag: new Uint8Array(128),
  };
  compiled.set(rule, schema);
  let slots = 0;
  for (const field of rule.fields) {
    const kind = KIND_CODE[field.kind];
    schema.kind[field.number] = kind;
    if (field.of) schema.sub[field.number] = compile(field.of);
    if (field.range) {
      schema.min[field.number] = field.range.min;
      schema.max[field.number] = field.range.max;
      if (field.range.min === 0) schema.exponentBelow[field.number] = biasedExponent(field.range.max);
    }
    const tag = (field.number << 3) | WIRE_TYPE_OF_KIND[kind];
    if (tag < 0x80) schema.kindOfTag[tag] = kind;
    if (kind === REPEATED_MESSAGE || kind === REPEATED_STRING) schema.slot[field.number] = slots++;
  }
  if (slots > 4) throw new Error(`${rule.name}: the walk counts at most four repeated fields per message`);
  return schema;
}

function biasedExponent(value: number): number {
  const bytes = Buffer.alloc(8);
  bytes.writeDoubleLE(value);
  return ((bytes[7] & 0x7f) << 4) | (bytes[6] >> 4);
}

/** Payload schemas by AgentMessage field number; events (with their nested timestamp) have none. */
const PAYLOAD_SCHEMA: (Schema | undefined)[] = [];
/** The DataType each payload field belongs to. */
const TYPE_OF_PAYLOAD: number[] = [];
for (const payload of AGENT_MESSAGE.payloads) {
  TYPE_OF_PAYLOAD[payload.field] = payload.type;
  PAYLOAD_SCHEMA[payload.field] = payload.timestampField === undefined ? compile(payload.rule) : undefined;
}
/** Canonical one-byte DataType values, the only ones the walk takes. */
const MAX_TYPE = AGENT_MESSAGE.payloads.length - 1;

// The walk's cursor: module state, so the walk allocates nothing.
let buf: Buffer = Buffer.alloc(0);
let pos = 0;
let maxStringBytes = 0;
let maxListItems = 0;
const EMPTY = Buffer.alloc(0);

/**
 * Whether `bytes` is an AgentMessage the decoding path certainly forwards, with `agentKey` as
 * its key; fills `out` when it is. Never throws.
 */
function checkWire(
  bytes: Buffer,
  agentKey: string,
  nowMs: number,
  settings: ReaderSettings,
  out: WireVerdict,
): boolean {
  // int64/uint64 fields become decimal strings of up to 20 characters that the limits also bound.
  if (settings.maxStringBytes < 20) return false;
  buf = bytes;
  pos = 0;
  maxStringBytes = settings.maxStringBytes;
  maxListItems = settings.maxListItems;
  try {
    return walkTop(bytes.length, agentKey, nowMs, settings.maxFutureSkewMs, out);
  } finally {
    buf = EMPTY;
  }
}

const { keyField, typeField, hostField, timestampField, hostMaxChars } = AGENT_MESSAGE;

function walkTop(end: number, agentKey: string, nowMs: number, skewMs: number, out: WireVerdict): boolean {
  let type = 0;
  let payload = 0;
  let keyStart = 0;
  let keyEnd = 0;
  let hostStart = 0;
  let hostEnd = 0;
  let timestampMs = nowMs;
  let payloadStart = -1;
  let payloadEnd = -1;
  out.keyFieldStart = out.keyFieldEnd = out.timeFieldStart = out.timeFieldEnd = -1;
  while (pos < end) {
    const fieldStart = pos;
    const tag = readTag(end);
    if (tag < 0) return false;
    const fieldNumber = tag >>> 3;
    const wireType = tag & 7;
    switch (fieldNumber) {
      case keyField: {
        if (out.keyFieldStart >= 0) return false;
        if (wireType === 2) {
          const len = readLength(end);
          if (len < 0 || !stringWithinLimit(pos, len)) return false;
          keyStart = pos;
          keyEnd = pos += len;
        } else if (!skipField(wireType, end)) return false;
        out.keyFieldStart = fieldStart;
        out.keyFieldEnd = pos;
        break;
      }
      case typeField: {
        if (wireType === 0) {
          // Only the canonical one-byte encoding of a known DataType.
          if (pos >= end || buf[pos] > MAX_TYPE) return false;
          type = buf[pos++];
        } else if (!skipField(wireType, end)) return false;
        break;
      }
      case hostField: {
        if (wireType === 2) {
          const len = readLength(end);
          if (len < 0 || len > hostMaxChars || len > maxStringBytes) return false;
          for (let i = pos; i < pos + len; i++) {
            const b = buf[i];
            if (b < 0x20 || b >= 0x7f) return false; // control characters, DEL, non-ASCII
          }
          hostStart = pos;
          hostEnd = pos += len;
        } else if (!skipField(wireType, end)) return false;
        break;
      }
      case timestampField: {
        if (out.timeFieldStart >= 0) return false;
        if (wireType === 0) {
          timestampMs = readTimestampMs(end, nowMs, skewMs);
          if (timestampMs < 0) return false;
        } else if (!skipField(wireType, end)) return false;
        out.timeFieldStart = fieldStart;
        out.timeFieldEnd = pos;
        break;
      }
      default: {
        if (TYPE_OF_PAYLOAD[fieldNumber] === undefined || wireType !== 2) {
          if (!skipField(wireType, end)) return false;
          break;
        }
        if (payload !== 0 && payload !== fieldNumber) return false;
        payloadStart = payload === 0 ? fieldStart : -1; // a repeated payload field is merged: no splice in place
        payload = fieldNumber;
        const len = readLength(end);
        if (len < 0) return false;
        const schemaOf = PAYLOAD_SCHEMA[fieldNumber];
        if (!schemaOf || !walk(schemaOf, pos + len)) return false;
        payloadEnd = pos;
      }
    }
  }
  if (payload === 0 || TYPE_OF_PAYLOAD[payload] !== type) return false;
  if (!keyEquals(keyStart, keyEnd, agentKey)) return false;
  out.type = type;
  out.hostStart = hostStart;
  out.hostEnd = hostEnd;
  out.timestampMs = timestampMs;
  out.lastPayloadStart = payloadEnd === end ? payloadStart : -1;
  return true;
}

/** The message's key equals the metadata's, compared byte by byte (ASCII keys only). */
function keyEquals(start: number, end: number, key: string): boolean {
  if (end - start !== key.length) return false;
  for (let i = start, j = 0; i < end; i++, j++) {
    const b = buf[i];
    if (b >= 0x80 || b !== key.charCodeAt(j)) return false;
  }
  return true;
}

/**
 * Walks one nested message ending at `end`; every read stays within it. The cursor is a local
 * here (the hot loop): one-byte tags and lengths are read inline, the rest through the helpers.
 */
function walk(s: Schema, end: number): boolean {
  const b = buf;
  const kinds = s.kind;
  let p = pos;
  let count0 = 0;
  let count1 = 0;
  let count2 = 0;
  let count3 = 0;
  const kindOfTag = s.kindOfTag;
  while (p < end) {
    let tag = b[p];
    // A one-byte tag of a known field with its wire type: one table lookup.
    let kind = tag < 0x80 ? kindOfTag[tag] : 0;
    if (kind !== 0) {
      p++;
    } else {
      if (tag >= 0x80) {
        pos = p;
        tag = readTag(end);
        if (tag < 0) return false;
        p = pos;
      } else {
        if (tag < 8) return false; // field number 0
        p++;
      }
      const number = tag >>> 3;
      const wireType = tag & 7;
      kind = number < kinds.length ? kinds[number] : 0;
      if (kind === 0 || WIRE_TYPE_OF_KIND[kind] !== wireType) {
        pos = p;
        if (!skipField(wireType, end)) return false;
        p = pos;
        continue;
      }
    }
    const fieldNumber = tag >>> 3;
    if (kind === VARINT) {
      // Counters and sizes take up to 5 bytes: looked at without a loop (a byte read past `end`
      // only makes p pass `end`, which fails below). Longer ones take the loop.
      if (p + 5 <= end) {
        if (b[p] < 0x80) p += 1;
        else if (b[p + 1] < 0x80) p += 2;
        else if (b[p + 2] < 0x80) p += 3;
        else if (b[p + 3] < 0x80) p += 4;
        else if (b[p + 4] < 0x80) p += 5;
        else p = skipLongVarint(b, p + 5, p + 10 < end ? p + 10 : end);
        if (p < 0) return false;
        continue;
      }
      p = skipLongVarint(b, p, end);
      if (p < 0) return false;
      continue;
    }
    if (kind === DOUBLE) {
      if (p + 8 > end) return false;
      // Sign bit clear and a binary exponent below max's: certainly within [0, max]. Else exactly.
      const high = b[p + 7];
      if (high >= 0x80 || ((high << 4) | (b[p + 6] >> 4)) >= s.exponentBelow[fieldNumber]) {
        const value = b.readDoubleLE(p);
        if (!(value >= s.min[fieldNumber] && value <= s.max[fieldNumber])) return false; // NaN fails too
      }
      p += 8;
      continue;
    }
    // Length-delimited: strings and messages.
    let len = p < end ? b[p] : 0x80;
    if (len < 0x80 && p + 1 + len <= end) {
      p++;
    } else {
      pos = p;
      len = readLength(end);
      if (len < 0) return false;
      p = pos;
    }
    if (kind === STRING || kind === REPEATED_STRING) {
      if (len * 3 > maxStringBytes && !stringWithinLimit(p, len)) return false;
      p += len;
    } else {
      pos = p;
      if (!walk(s.sub[fieldNumber]!, p + len)) return false;
      p = pos;
    }
    if (kind === REPEATED_MESSAGE || kind === REPEATED_STRING) {
      const slot = s.slot[fieldNumber];
      const count = slot === 0 ? ++count0 : slot === 1 ? ++count1 : slot === 2 ? ++count2 : ++count3;
      if (count > maxListItems) return false;
    }
  }
  pos = p;
  return true;
}

/** The position after the varint's last byte at or after `p`, before `limit` (10 bytes at most); -1 if none. */
function skipLongVarint(b: Buffer, p: number, limit: number): number {
  let at = p;
  while (at < limit && b[at] >= 0x80) at++;
  return at < limit ? at + 1 : -1;
}

/** A tag that fits in uint32 with a field number > 0, or -1. */
function readTag(end: number): number {
  const tag = readVarint32(end, 0x0f);
  return tag >= 8 ? tag : -1;
}

/** A length below 2^31 whose data ends within `end`, or -1. */
function readLength(end: number): number {
  const length = readVarint32(end, 0x07);
  return length >= 0 && pos + length <= end ? length : -1;
}

/** A varint of at most 5 bytes whose fifth byte is at most `maxFifth`, or -1. */
function readVarint32(end: number, maxFifth: number): number {
  let result = 0;
  let multiplier = 1;
  for (let i = 0; i < 5; i++) {
    if (pos >= end) return -1;
    const b = buf[pos++];
    if (i === 4 && b > maxFifth) return -1;
    result += (b & 0x7f) * multiplier;
    if (b < 0x80) return result;
    multiplier *= 128;
  }
  return -1;
}

function skipVarint(end: number): boolean {
  for (let i = 0; i < 10; i++) {
    if (pos >= end) return false;
    if (buf[pos++] < 0x80) return true;
  }
  return false;
}

/** Skips an unknown field (or a known one with another wire type) like protobuf does. */
function skipField(wireType: number, end: number): boolean {
  switch (wireType) {
    case 0:
      return skipVarint(end);
    case 1:
      pos += 8;
      return pos <= end;
    case 2: {
      const len = readLength(end);
      if (len < 0) return false;
      pos += len;
      return true;
    }
    case 5:
      pos += 4;
      return pos <= end;
    default:
      return false; // groups and invalid wire types: left to the reference path
  }
}

/**
 * Whether the decoded string is certainly within maxStringBytes (UTF-8): well-formed UTF-8 decodes
 * to exactly its wire length; malformed UTF-8 decodes to at most three times it (U+FFFD).
 */
function stringWithinLimit(start: number, len: number): boolean {
  if (len > maxStringBytes) return false;
  if (len * 3 <= maxStringBytes) return true;
  const end = start + len;
  for (let i = start; i < end; i++) {
    if (buf[i] >= 0x80) return isUtf8(buf.subarray(i, end));
  }
  return true;
}

/**
 * The int64 timestamp normalized like toEpochMs, or -1 when it is not certainly plausible.
 * Up to 7 bytes (seconds, milliseconds) stay in plain numbers; longer ones go through BigInt.
 */
function readTimestampMs(end: number, nowMs: number, skewMs: number): number {
  const start = pos;
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) return -1;
    const b = buf[pos++];
    value += (b & 0x7f) * multiplier;
    multiplier *= 128;
    if (b >= 0x80) continue;
    if (i >= 7) return bigTimestampMs(start, pos, nowMs, skewMs);
    return value === 0 ? nowMs : plausibleEpochMs(value, nowMs, skewMs);
  }
  return -1;
}

function bigTimestampMs(start: number, end: number, nowMs: number, skewMs: number): number {
  let value = 0n;
  for (let i = start, shift = 0n; i < end; i++, shift += 7n) value |= BigInt(buf[i] & 0x7f) << shift;
  value = BigInt.asIntN(64, value);
  if (value === 0n) return nowMs;
  const result = toEpochMs(value, nowMs, skewMs);
  return result.ok ? result.ms : -1;
}

// ---- Splicing --------------------------------------------------------------------------------

/** Scratch room for the fields before the payload (type, host, timestamp and any unknown ones). */
const head = Buffer.allocUnsafe(1024);

/**
 * The forwarded value: `bytes` without the key and timestamp fields, the new timestamp written
 * after the fields that precede the payload when the payload is the last field and occurs once
 * (as every agent writes it), else at the end (the decoding path follows the same rule).
 *
 * Without copying the payload when it can: the fields before the payload (type, host and the new
 * timestamp, about 30 bytes) are rewritten in place right in front of it, and the value is the
 * view from there to the end of `bytes`.
 */
function forwardedValue(bytes: Buffer, v: WireVerdict): Buffer {
  const payloadStart = v.lastPayloadStart;
  const cut = payloadStart >= 0 ? payloadStart : bytes.length;
  const scratch = cut + 11 <= head.length ? head : Buffer.allocUnsafe(cut + 11);
  const keyFirst = v.timeFieldStart < 0 || (v.keyFieldStart >= 0 && v.keyFieldStart < v.timeFieldStart);
  let at = 0;
  let from = 0;
  for (let i = 0; i < 2; i++) {
    const start = (i === 0) === keyFirst ? v.keyFieldStart : v.timeFieldStart;
    if (start < 0) continue;
    at += bytes.copy(scratch, at, from, start);
    from = (i === 0) === keyFirst ? v.keyFieldEnd : v.timeFieldEnd;
  }
  at += bytes.copy(scratch, at, from, cut);
  at = writeTimestampField(scratch, at, v.timestampMs);
  if (payloadStart < 0) return scratch === head ? Buffer.from(head.subarray(0, at)) : scratch.subarray(0, at);
  if (at <= payloadStart) {
    scratch.copy(bytes, payloadStart - at, 0, at);
    return bytes.subarray(payloadStart - at);
  }
  const out = values.take(at + bytes.length - payloadStart);
  scratch.copy(out, 0, 0, at);
  bytes.copy(out, at, payloadStart);
  return out;
}

function writeTimestampField(out: Buffer, start: number, ms: number): number {
  let at = start;
  out[at++] = timestampField << 3; // wire type 0
  let rest = ms;
  while (rest >= 0x80) {
    out[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[at++] = rest;
  return at;
}

/** Record values live until Kafka acknowledged them: carved from slabs, not allocated one by one. */
const values = new BufferSlab(256 * 1024, 16 * 1024);

/** A top-level field of a message the decoding path decoded. */
interface WireField {
  fieldNumber: number;
  wireType: number;
  /** Offset of the tag: the field's bytes are [start, end). */
  start: number;
  end: number;
}

class WireFormatError extends Error {}

function scanTopLevelFields(buf: Uint8Array): WireField[] {
  const fields: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const start = pos;
    const [tag, afterTag] = readVarint(buf, pos);
    const fieldNumber = Math.floor(tag / 8);
    const wireType = tag % 8;
    if (fieldNumber === 0) throw new WireFormatError(`invalid field number 0 at byte ${start}`);
    pos = skipValue(buf, afterTag, wireType);
    fields.push({ fieldNumber, wireType, start, end: pos });
  }
  return fields;
}

/**
 * Copies `buf` without the listed top-level fields, and with `extra` (already encoded) before the
 * field `extraBefore`, or at the end.
 */
function rebuildWithout(
  buf: Uint8Array,
  fields: WireField[],
  drop: ReadonlySet<number>,
  extra?: Uint8Array,
  extraBefore?: WireField,
): Buffer {
  const parts: Uint8Array[] = [];
  let keepFrom = 0;
  for (const field of fields) {
    if (field === extraBefore && extra) {
      if (field.start > keepFrom) parts.push(buf.subarray(keepFrom, field.start));
      parts.push(extra);
      keepFrom = field.start;
    }
    if (!drop.has(field.fieldNumber)) continue;
    if (field.start > keepFrom) parts.push(buf.subarray(keepFrom, field.start));
    keepFrom = field.end;
  }
  if (keepFrom < buf.length) parts.push(buf.subarray(keepFrom));
  if (extra && !extraBefore) parts.push(extra);
  return Buffer.concat(parts);
}

/** The payload field when it is the last field and occurs once (see forwardedValue). */
function lastPayloadField(fields: WireField[]): WireField | undefined {
  const last = fields[fields.length - 1];
  if (!last || last.wireType !== 2 || TYPE_OF_PAYLOAD[last.fieldNumber] === undefined) return undefined;
  return fields.filter((f) => f.fieldNumber === last.fieldNumber).length === 1 ? last : undefined;
}

/** A varint field (wire type 0) holding a non-negative integer. */
function encodeVarintField(fieldNumber: number, value: number): Buffer {
  const bytes: number[] = [];
  writeVarint(bytes, fieldNumber * 8);
  writeVarint(bytes, value);
  return Buffer.from(bytes);
}

function writeVarint(out: number[], value: number): void {
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let multiplier = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= buf.length) throw new WireFormatError('truncated varint');
    const byte = buf[pos + i];
    result += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if (byte < 0x80) return [result, pos + i + 1];
  }
  throw new WireFormatError('varint longer than 10 bytes');
}

function skipValue(buf: Uint8Array, pos: number, wireType: number): number {
  switch (wireType) {
    case 0:
      return readVarint(buf, pos)[1];
    case 1:
      return checkedEnd(buf, pos + 8);
    case 2: {
      const [length, afterLength] = readVarint(buf, pos);
      return checkedEnd(buf, afterLength + length);
    }
    case 5:
      return checkedEnd(buf, pos + 4);
    default:
      throw new WireFormatError(`unsupported wire type ${wireType}`);
  }
}

function checkedEnd(buf: Uint8Array, end: number): number {
  if (end > buf.length) throw new WireFormatError('field runs past the end of the message');
  return end;
}
