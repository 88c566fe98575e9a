/**
 * One encoded stats message whose `timestamp` (field 4) is rewritten in place for each write, so
 * that every message is a distinct sample: the projector stores one row per container and sample
 * time, and a payload sent twice would be stored once. The varint keeps its length as long as the
 * times stay within the same power of 128 (epoch ms of this century: 6 bytes).
 */
export class TimestampedPayload {
  private readonly at: number;
  private readonly length: number;

  constructor(
    private readonly template: Buffer,
    firstMs: number,
  ) {
    const tagged = Buffer.concat([Buffer.from([0x20]), varint(firstMs)]);
    this.at = template.indexOf(tagged) + 1;
    this.length = tagged.length - 1;
    if (this.at <= 0) throw new Error('template does not carry the timestamp it was made with');
  }

  /** A copy of the message with this sample time. */
  withTime(ms: number): Buffer {
    const bytes = varint(ms);
    if (bytes.length !== this.length) throw new Error(`sample time ${ms} changes the varint length`);
    const copy = Buffer.from(this.template);
    bytes.copy(copy, this.at);
    return copy;
  }
}

function varint(value: number): Buffer {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return Buffer.from(out);
}
