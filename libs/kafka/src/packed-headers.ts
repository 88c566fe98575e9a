/**
 * Record headers that stay the same for many records (a stream's tenant, agent, gateway and
 * schema), encoded once in the layout packBatch writes (per header: u16 name length, name, u32
 * value length, value), so that each record copies them as one block instead of writing every name
 * and value again.
 */
export class PackedHeaders {
  readonly bytes: Buffer;
  readonly count: number;

  constructor(readonly values: Readonly<Record<string, string>>) {
    const names = Object.keys(values);
    const parts: Buffer[] = [];
    for (const name of names) {
      const nameBytes = Buffer.from(name, 'utf8');
      const valueBytes = Buffer.from(values[name], 'utf8');
      const lengths = Buffer.allocUnsafe(6);
      lengths.writeUInt16LE(nameBytes.length, 0);
      parts.push(lengths.subarray(0, 2), nameBytes);
      lengths.writeUInt32LE(valueBytes.length, 2);
      parts.push(lengths.subarray(2, 6), valueBytes);
    }
    this.bytes = Buffer.concat(parts);
    this.count = names.length;
  }
}
