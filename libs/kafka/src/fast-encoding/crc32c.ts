/**
 * CRC-32C (Castagnoli), as Kafka's record batches carry it, computed eight bytes at a time
 * ("slicing by 8"): about three times faster than a byte-at-a-time table in V8.
 */
const POLYNOMIAL = 0x82f63b78; // reflected 0x1EDC6F41

const TABLES = buildTables();

function buildTables(): Int32Array {
  const t = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let slice = 1; slice < 8; slice++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[slice * 256 + n] = c;
    }
  }
  return t;
}

export function crc32c(bytes: Uint8Array): number {
  const t = TABLES;
  const length = bytes.length;
  const whole = length - (length % 8);
  let crc = -1;
  let i = 0;
  for (; i < whole; i += 8) {
    const low = (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)) ^ crc;
    crc =
      t[1792 + (low & 0xff)] ^
      t[1536 + ((low >>> 8) & 0xff)] ^
      t[1280 + ((low >>> 16) & 0xff)] ^
      t[1024 + (low >>> 24)] ^
      t[768 + bytes[i + 4]] ^
      t[512 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^
      t[bytes[i + 7]];
  }
  for (; i < length; i++) crc = t[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
