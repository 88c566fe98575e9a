import { randomBytes } from 'node:crypto';
import { crc32c } from './crc32c';

// kafkajs' own byte-at-a-time implementation, the reference.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C.js') as (b: Buffer) => number;

describe('crc32c', () => {
  it('gives the published check value of CRC-32C', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('equals kafkajs on every length around the 8-byte stride and on a 1 MiB batch', () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = randomBytes(length);
      expect(crc32c(bytes)).toBe(kafkajsCrc32c(bytes));
    }
    const big = randomBytes(1 << 20);
    expect(crc32c(big)).toBe(kafkajsCrc32c(big));
    // A view into a larger buffer reads only its own bytes.
    const view = big.subarray(13, 13 + 1001);
    expect(crc32c(view)).toBe(kafkajsCrc32c(Buffer.from(view)));
  });
});
