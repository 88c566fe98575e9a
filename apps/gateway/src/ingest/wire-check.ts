import { isUtf8 } from 'node:buffer';
import { BufferSlab } from '@app/kafka';
import { EARLIEST_PLAUSIBLE_MS, toEpochMs } from './epoch-time';
import { MessageLimits } from './message-limits';

/**
 * The hot path's validator: walks the protobuf bytes of an AgentMessage without decoding them into
 * objects and says whether the message is certainly accepted by the reference path (ts-proto
 * decode + validateAgentMessage + checkLimits + toEpochMs), and if so what forwarding it needs.
 *
 * It is deliberately one-sided: `false` means "not sure", never "rejected". Anything unusual
 * (a rejection of any kind, events, non-ASCII keys or hosts, repeated top-level key or timestamp,
 * groups, overlong varints, fields running past their message) returns `false`, and the caller
 * runs the reference path, which then decides the verdict and the DLQ detail. Where the reference
 * keeps only the last occurrence of a field, this walk checks every occurrence: stricter, never
 * laxer. wire-check.spec.ts compares both paths on thousands of generated messages.
 */
export interface WireVerdict {
  /** DataType: 0 (list), 1 (inspect) or 2 (stats); events always take the reference path. */
  type: number;
  /** The (last) host field's bytes: ASCII, so latin1 decoding gives the reference's string. */
  hostStart: number;
  hostEnd: number;
  /** The normalized timestamp (the receive time when absent or zero). */
  timestampMs: number;
  /** The top-level agent_key / timestamp fields (tag included), -1 when absent. */
  keyFieldStart: number;
  keyFieldEnd: number;
  timeFieldStart: number;
  timeFieldEnd: number;
}

export interface WireCheckSettings extends MessageLimits {
  maxFutureSkewMs: number;
}

export const newWireVerdict = (): WireVerdict => ({
  type: 0,
  hostStart: 0,
  hostEnd: 0,
  timestampMs: 0,
  keyFieldStart: -1,
  keyFieldEnd: -1,
  timeFieldStart: -1,
  timeFieldEnd: -1,
});

const STRING = 1;
const VARINT = 2;
const DOUBLE = 3;
const MESSAGE = 4;
const REPEATED_MESSAGE = 5; // maps too: one entry message per occurrence
const REPEATED_STRING = 6;
/** The wire type a field of each kind must have; with another one, ts-proto skips the field. */
const WIRE_TYPE_OF_KIND = [-1, 2, 0, 1, 2, 2, 2];

interface Schema {
  kind: Uint8Array;
  sub: (Schema | undefined)[];
  /** For repeated fields: which of the walk's four counters counts them. */
  slot: Uint8Array;
  /** For doubles: the inclusive upper bound (the lower one is 0). */
  max: Float64Array;
}

type FieldSpec = [fieldNumber: number, kind: number, subOrMax?: Schema | number];

function schema(fields: FieldSpec[]): Schema {
  const size = Math.max(...fields.map(([n]) => n)) + 1;
  const result: Schema = {
    kind: new Uint8Array(size),
    sub: new Array<Schema | undefined>(size).fill(undefined),
    slot: new Uint8Array(size),
    max: new Float64Array(size),
  };
  let slots = 0;
  for (const [n, kind, extra] of fields) {
    result.kind[n] = kind;
    if (typeof extra === 'number') result.max[n] = extra;
    else result.sub[n] = extra;
    if (kind === REPEATED_MESSAGE || kind === REPEATED_STRING) result.slot[n] = slots++;
  }
  if (slots > 4) throw new Error('at most four repeated fields per message');
  return result;
}

const strings = (...numbers: number[]): FieldSpec[] => numbers.map((n) => [n, STRING]);

const containerInfo = schema(strings(1, 2, 3, 4, 5));
const listData = schema([[1, REPEATED_MESSAGE, containerInfo]]);
const containerStats = schema([
  ...strings(1, 2),
  [3, DOUBLE, 100 * 4096],
  [4, VARINT],
  [5, VARINT],
  [6, DOUBLE, 100_000],
  [7, VARINT],
  [8, VARINT],
]);
const statsData = schema([[1, REPEATED_MESSAGE, containerStats]]);
const containerState = schema([...strings(1, 6, 7), [2, VARINT], [3, VARINT], [4, VARINT], [5, VARINT]]);
const stringEntry = schema(strings(1, 2));
const containerConfig = schema([
  ...strings(1, 2, 6),
  [3, REPEATED_STRING],
  [4, REPEATED_STRING],
  [5, REPEATED_STRING],
  [7, REPEATED_MESSAGE, stringEntry],
]);
const portBinding = schema(strings(1, 2));
const portBindings = schema([[1, REPEATED_MESSAGE, portBinding]]);
const networkEndpoint = schema(strings(1, 2, 3, 4));
const containerNetwork = schema([
  ...strings(1, 2, 3),
  [4, REPEATED_MESSAGE, schema([...strings(1), [2, MESSAGE, portBindings]])],
  [5, REPEATED_MESSAGE, schema([...strings(1), [2, MESSAGE, networkEndpoint]])],
]);
const mountPoint = schema([...strings(1, 2, 3, 4, 5), [6, VARINT]]);
const containerInspect = schema([
  ...strings(1, 2, 3, 4, 5),
  [10, MESSAGE, containerState],
  [11, MESSAGE, containerConfig],
  [12, MESSAGE, containerNetwork],
  [13, REPEATED_MESSAGE, mountPoint],
]);
const inspectData = schema([[1, REPEATED_MESSAGE, containerInspect]]);
/** Payload schema by DataType (events are left to the reference path). */
const PAYLOAD_SCHEMA = [listData, inspectData, statsData];
const FIRST_PAYLOAD_FIELD = 10;

// The walk's cursor: module state, so the walk allocates nothing.
let buf: Buffer = Buffer.alloc(0);
let pos = 0;
let maxStringBytes = 0;
let maxListItems = 0;

/**
 * Whether `bytes` is an AgentMessage the reference path certainly forwards, with `agentKey`
 * as its key; fills `out` when it is. Never throws.
 */
export function checkAgentMessageWire(
  bytes: Buffer,
  agentKey: string,
  nowMs: number,
  settings: WireCheckSettings,
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

const EMPTY = Buffer.alloc(0);

function walkTop(end: number, agentKey: string, nowMs: number, skewMs: number, out: WireVerdict): boolean {
  let type = 0;
  let payload = 0;
  let keyStart = 0;
  let keyEnd = 0;
  let hostStart = 0;
  let hostEnd = 0;
  let timestampMs = nowMs;
  out.keyFieldStart = out.keyFieldEnd = out.timeFieldStart = out.timeFieldEnd = -1;
  while (pos < end) {
    const fieldStart = pos;
    const tag = readTag(end);
    if (tag < 0) return false;
    const fieldNumber = tag >>> 3;
    const wireType = tag & 7;
    switch (fieldNumber) {
      case 1: {
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
      case 2: {
        if (wireType === 0) {
          // Only the canonical one-byte encoding of a known DataType.
          if (pos >= end || buf[pos] > 3) return false;
          type = buf[pos++];
        } else if (!skipField(wireType, end)) return false;
        break;
      }
      case 3: {
        if (wireType === 2) {
          const len = readLength(end);
          if (len < 0 || len > 256 || len > maxStringBytes) return false;
          for (let i = pos; i < pos + len; i++) {
            const b = buf[i];
            if (b < 0x20 || b >= 0x7f) return false; // control characters, DEL, non-ASCII
          }
          hostStart = pos;
          hostEnd = pos += len;
        } else if (!skipField(wireType, end)) return false;
        break;
      }
      case 4: {
        if (out.timeFieldStart >= 0) return false;
        if (wireType === 0) {
          timestampMs = readTimestampMs(end, nowMs, skewMs);
          if (timestampMs < 0) return false;
        } else if (!skipField(wireType, end)) return false;
        out.timeFieldStart = fieldStart;
        out.timeFieldEnd = pos;
        break;
      }
      case 10:
      case 11:
      case 12:
      case 13: {
        if (wireType === 2) {
          if (payload !== 0 && payload !== fieldNumber) return false;
          payload = fieldNumber;
          const len = readLength(end);
          if (len < 0) return false;
          const schemaOf = PAYLOAD_SCHEMA[fieldNumber - FIRST_PAYLOAD_FIELD];
          if (!schemaOf || !walk(schemaOf, pos + len)) return false;
        } else if (!skipField(wireType, end)) return false;
        break;
      }
      default:
        if (!skipField(wireType, end)) return false;
    }
  }
  if (payload !== FIRST_PAYLOAD_FIELD + type) return false;
  if (!keyEquals(keyStart, keyEnd, agentKey)) return false;
  out.type = type;
  out.hostStart = hostStart;
  out.hostEnd = hostEnd;
  out.timestampMs = timestampMs;
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
  while (p < end) {
    let tag = b[p];
    if (tag >= 0x80) {
      pos = p;
      tag = readTag(end);
      if (tag < 0) return false;
      p = pos;
    } else {
      if (tag < 8) return false; // field number 0
      p++;
    }
    const fieldNumber = tag >>> 3;
    const wireType = tag & 7;
    const kind = fieldNumber < kinds.length ? kinds[fieldNumber] : 0;
    if (kind === 0 || WIRE_TYPE_OF_KIND[kind] !== wireType) {
      pos = p;
      if (!skipField(wireType, end)) return false;
      p = pos;
      continue;
    }
    if (kind === VARINT) {
      const limit = p + 10 < end ? p + 10 : end;
      while (p < limit && b[p] >= 0x80) p++;
      if (p >= limit) return false; // unterminated, or longer than 10 bytes
      p++;
      continue;
    }
    if (kind === DOUBLE) {
      if (p + 8 > end) return false;
      const value = b.readDoubleLE(p);
      if (!(value >= 0 && value <= s.max[fieldNumber])) return false; // NaN fails too
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
      if (!stringWithinLimit(p, len)) return false;
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

/** A tag that fits in uint32 with a field number > 0, or -1. */
function readTag(end: number): number {
  let result = 0;
  let multiplier = 1;
  for (let i = 0; i < 5; i++) {
    if (pos >= end) return -1;
    const b = buf[pos++];
    if (i === 4 && b > 0x0f) return -1;
    result += (b & 0x7f) * multiplier;
    if (b < 0x80) return result >= 8 ? result : -1;
    multiplier *= 128;
  }
  return -1;
}

/** A length below 2^31 whose data ends within `end`, or -1. */
function readLength(end: number): number {
  let result = 0;
  let multiplier = 1;
  for (let i = 0; i < 5; i++) {
    if (pos >= end) return -1;
    const b = buf[pos++];
    if (i === 4 && b > 0x07) return -1;
    result += (b & 0x7f) * multiplier;
    if (b < 0x80) return pos + result <= end ? result : -1;
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
    if (value === 0) return nowMs;
    let ms: number;
    if (value < 100_000_000_000) ms = value * 1000;
    else if (value < 100_000_000_000_000) ms = value;
    else ms = (value - (value % 1000)) / 1000;
    return ms >= EARLIEST_PLAUSIBLE_MS && ms <= nowMs + skewMs ? ms : -1;
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

/** The forwarded record value: `bytes` without its key and timestamp fields, plus the new timestamp. */
export function forwardedBytes(bytes: Buffer, v: WireVerdict): Buffer {
  let firstStart = v.keyFieldStart;
  let firstEnd = v.keyFieldEnd;
  let secondStart = v.timeFieldStart;
  let secondEnd = v.timeFieldEnd;
  if (firstStart < 0 || (secondStart >= 0 && secondStart < firstStart)) {
    firstStart = v.timeFieldStart;
    firstEnd = v.timeFieldEnd;
    secondStart = v.keyFieldStart;
    secondEnd = v.keyFieldEnd;
  }
  const dropped =
    (firstStart >= 0 ? firstEnd - firstStart : 0) + (secondStart >= 0 ? secondEnd - secondStart : 0);
  const ms = v.timestampMs;
  const out = values.take(bytes.length - dropped + 1 + varintSize(ms));
  let at = 0;
  if (firstStart < 0) {
    at += bytes.copy(out, at);
  } else {
    at += bytes.copy(out, at, 0, firstStart);
    if (secondStart < 0) {
      at += bytes.copy(out, at, firstEnd);
    } else {
      at += bytes.copy(out, at, firstEnd, secondStart);
      at += bytes.copy(out, at, secondEnd);
    }
  }
  out[at++] = 4 << 3; // timestamp, wire type 0
  let rest = ms;
  while (rest >= 0x80) {
    out[at++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  out[at] = rest;
  return out;
}

/** Record values live until Kafka acknowledged them: carved from slabs, not allocated one by one. */
const values = new BufferSlab(256 * 1024, 16 * 1024);

function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) size++;
  return size;
}
