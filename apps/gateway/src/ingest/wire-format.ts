/**
 * Just enough of the protobuf wire format to work on an AgentMessage without decoding it into
 * objects: find its top-level fields, and rebuild it with some fields dropped or replaced.
 * Forwarding the agent's own bytes keeps the hot path cheap (see shared/notes/grpc-ingest.md).
 */
export interface WireField {
  fieldNumber: number;
  wireType: number;
  /** Offset of the tag: the field's bytes are [start, end). */
  start: number;
  end: number;
}

export class WireFormatError extends Error {}

export function scanTopLevelFields(buf: Uint8Array): WireField[] {
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

/** Copies `buf` without the listed top-level fields, then appends `extra` (already encoded). */
export function rebuildWithout(
  buf: Uint8Array,
  fields: WireField[],
  drop: ReadonlySet<number>,
  extra?: Uint8Array,
): Buffer {
  const parts: Uint8Array[] = [];
  let keepFrom = 0;
  for (const field of fields) {
    if (!drop.has(field.fieldNumber)) continue;
    if (field.start > keepFrom) parts.push(buf.subarray(keepFrom, field.start));
    keepFrom = field.end;
  }
  if (keepFrom < buf.length) parts.push(buf.subarray(keepFrom));
  if (extra) parts.push(extra);
  return Buffer.concat(parts);
}

/** A varint field (wire type 0) holding a non-negative integer. */
export function encodeVarintField(fieldNumber: number, value: number): Buffer {
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
