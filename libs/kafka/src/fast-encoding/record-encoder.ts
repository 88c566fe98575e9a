/**
 * Kafka record (message format v2) encoding with kafkajs 2.2.4's signature and bytes: what
 * `kafkajs/src/protocol/recordBatch/record/v0` does, written to one exactly-sized buffer instead
 * of one zero-filled 512-byte Encoder per record and per header, with no Long arithmetic.
 *
 * Record => Length:varint Attributes:int8 TimestampDelta:varlong OffsetDelta:varint
 *           Key:varint-bytes Value:varint-bytes Headers:[varint-string varint-bytes]
 */

import { BufferSlab } from '../buffer-slab';

export type Bytes = Buffer | string | null | undefined;

export interface RecordInput {
  offsetDelta?: number;
  timestampDelta?: number;
  key?: Bytes;
  value?: Bytes;
  headers?: Record<string, Bytes | Bytes[]>;
}

/** The part of kafkajs' Encoder that RecordBatch reads from a record. */
export interface EncodedRecord {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
}

/** An encoded record lives until kafkajs copied it into its batch (BufferSlab: fewer ArrayBuffers). */
const records = new BufferSlab();

/** Zig-zag for integers within ±2^52 (all kafkajs hands a record), without 32-bit overflow. */
const zigZag = (n: number) => (n >= 0 ? n * 2 : -n * 2 - 1);

function varintSize(unsigned: number): number {
  let size = 1;
  while (unsigned >= 128) {
    unsigned = Math.floor(unsigned / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, at: number, unsigned: number): number {
  while (unsigned >= 128) {
    buf[at++] = (unsigned % 128) | 128;
    unsigned = Math.floor(unsigned / 128);
  }
  buf[at++] = unsigned;
  return at;
}

/** -1 for null, as Kafka encodes a null key or value. */
function byteLength(value: Bytes): number {
  if (value === null || value === undefined) return -1;
  return Buffer.isBuffer(value) ? value.length : Buffer.byteLength(String(value), 'utf8');
}

function fieldSize(length: number): number {
  return varintSize(zigZag(length)) + Math.max(length, 0);
}

function writeField(buf: Buffer, at: number, value: Bytes, length: number): number {
  at = writeVarint(buf, at, zigZag(length));
  if (length <= 0) return at;
  if (Buffer.isBuffer(value)) value.copy(buf, at);
  else buf.write(String(value), at, length, 'utf8');
  return at + length;
}

/** What writeRecord needs, measured once. */
export interface RecordLayout {
  size: number;
  bodySize: number;
  offsetDelta: number;
  timestampDelta: number;
  key: Bytes;
  keyLength: number;
  value: Bytes;
  valueLength: number;
  names: string[];
  values: Bytes[];
  nameLengths: number[];
  valueLengths: number[];
}

export function measureRecord({
  offsetDelta = 0,
  timestampDelta = 0,
  key,
  value,
  headers = {},
}: RecordInput): RecordLayout {
  const names: string[] = [];
  const values: Bytes[] = [];
  const nameLengths: number[] = [];
  const valueLengths: number[] = [];
  let headersSize = 0;
  for (const name of Object.keys(headers)) {
    const given = headers[name];
    for (const one of Array.isArray(given) ? given : [given]) {
      // kafkajs cannot encode a header without a value either (it throws computing sizes).
      if (one === null || one === undefined) throw new TypeError(`header ${name} has no value`);
      const nameLength = Buffer.byteLength(name, 'utf8');
      const valueLength = byteLength(one);
      names.push(name);
      values.push(one);
      nameLengths.push(nameLength);
      valueLengths.push(valueLength);
      headersSize += fieldSize(nameLength) + fieldSize(valueLength);
    }
  }
  const keyLength = byteLength(key);
  const valueLength = byteLength(value);
  const bodySize =
    1 +
    varintSize(zigZag(timestampDelta)) +
    varintSize(zigZag(offsetDelta)) +
    fieldSize(keyLength) +
    fieldSize(valueLength) +
    varintSize(zigZag(names.length)) +
    headersSize;
  const size = varintSize(zigZag(bodySize)) + bodySize;
  return {
    size,
    bodySize,
    offsetDelta,
    timestampDelta,
    key,
    keyLength,
    value,
    valueLength,
    names,
    values,
    nameLengths,
    valueLengths,
  };
}

/** Writes a measured record at `at`; returns where it ends. */
export function writeRecord(buf: Buffer, at: number, r: RecordLayout): number {
  const start = at;
  at = writeVarint(buf, at, zigZag(r.bodySize));
  buf[at++] = 0; // attributes: none used in records
  at = writeVarint(buf, at, zigZag(r.timestampDelta));
  at = writeVarint(buf, at, zigZag(r.offsetDelta));
  at = writeField(buf, at, r.key, r.keyLength);
  at = writeField(buf, at, r.value, r.valueLength);
  at = writeVarint(buf, at, zigZag(r.names.length));
  for (let i = 0; i < r.names.length; i++) {
    at = writeField(buf, at, r.names[i], r.nameLengths[i]);
    at = writeField(buf, at, r.values[i], r.valueLengths[i]);
  }
  if (at - start !== r.size) throw new Error(`record encoding wrote ${at - start} of ${r.size} bytes`);
  return at;
}

/**
 * Builds a kafkajs Encoder around the bytes (RecordBatch calls `.buffer` on each record).
 * `encoderPrototype` is kafkajs' `Encoder.prototype`, so the result is one of its Encoders.
 */
export function recordEncoder(encoderPrototype: object) {
  return function encodeRecord(input: RecordInput): EncodedRecord {
    const layout = measureRecord(input);
    const buf = records.take(layout.size);
    writeRecord(buf, 0, layout);
    const encoder = Object.create(encoderPrototype) as EncodedRecord;
    encoder.buf = buf;
    encoder.offset = layout.size;
    return encoder;
  };
}
