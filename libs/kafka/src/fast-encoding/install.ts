/**
 * kafkajs (2.2.4, unmaintained since 2023) spends most of a producer's CPU encoding records: a
 * zero-filled 512-byte Encoder per record and per header, Long arithmetic per record, a
 * byte-at-a-time CRC-32C over every batch, and zero-filled buffers each time an Encoder grows
 * (to the next power of two, at each of a request's five nesting levels: 2 MiB for 1 MiB). This
 * swaps the record and CRC modules for the byte-identical implementations beside this file
 * (record-encoder.spec.ts and crc32c.spec.ts compare them with kafkajs' own) through Node's module
 * cache, and lets Encoders grow without zero-filling and no larger than needed for large writes
 * (an Encoder only ever exposes the bytes it wrote: `buffer` is `buf` up to `offset`). Plain
 * Produce requests (no compression, transaction or idempotence) are written in one pass into one
 * buffer (produce-request.ts). Nothing in node_modules changes.
 *
 * It takes effect only for the exact kafkajs version it was written against, and only before
 * kafkajs loaded the modules that use the encoders (it loads them lazily, at the first Produce or
 * Fetch request): otherwise kafkajs keeps its own encoders and nothing else changes.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- the module cache is reached through require */
import { crc32c } from './crc32c';
import { fastProduceRequest, ProduceArgs, ProduceRequest } from './produce-request';
import { recordEncoder } from './record-encoder';

/**
 * The one kafkajs these encoders are proven byte-identical with (the differential specs beside this
 * file); package.json pins kafkajs to it exactly. To upgrade, see "Upgrading kafkajs" in the README.
 */
export const SUPPORTED_KAFKAJS_VERSION = '2.2.4';
const RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
const CRC_MODULE = 'kafkajs/src/protocol/recordBatch/crc32C/index.js';
const ENCODER_MODULE = 'kafkajs/src/protocol/encoder.js';
const PRODUCE_V3_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request.js';
/** The modules that capture the replaced ones when they load. */
const USERS = [
  PRODUCE_V3_MODULE,
  'kafkajs/src/protocol/requests/produce/v4/request.js',
  'kafkajs/src/protocol/requests/produce/v5/request.js',
  'kafkajs/src/protocol/recordBatch/v0/index.js',
];

export type FastEncodingState = 'installed' | 'other-kafkajs-version' | 'too-late';
let state: FastEncodingState | undefined;

export function installFastProduceEncoding(): FastEncodingState {
  state ??= install();
  return state;
}

function install(): FastEncodingState {
  if (installedKafkajsVersion() !== SUPPORTED_KAFKAJS_VERSION) return 'other-kafkajs-version';
  if (USERS.some((path) => require.cache[require.resolve(path)])) return 'too-late';
  const encoder = require(ENCODER_MODULE) as { prototype: GrowingEncoder };
  replaceExports(RECORD_MODULE, recordEncoder(encoder.prototype));
  replaceExports(CRC_MODULE, crc32c);
  // Loaded only now, kafkajs' own request (the fallback) already uses the two encoders above.
  const produceV3 = require(PRODUCE_V3_MODULE) as (args: ProduceArgs) => ProduceRequest;
  replaceExports(PRODUCE_V3_MODULE, fastProduceRequest(produceV3, encoder.prototype));
  encoder.prototype.ensureAvailable = function ensureAvailable(this: GrowingEncoder, length: number) {
    if (this.offset + length <= this.buf.length) return;
    // Doubling for appends, the exact size for a write larger than what is there (a whole record
    // batch copied into its partition, topic and request Encoders): no 2 MiB buffer for 1 MiB.
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.offset + length));
    this.buf.copy(grown, 0, 0, this.offset);
    this.buf = grown;
  };
  return 'installed';
}

/** The kafkajs that `require('kafkajs')` loads here. */
export function installedKafkajsVersion(): string {
  return (require('kafkajs/package.json') as { version: string }).version;
}

interface GrowingEncoder {
  buf: Buffer;
  offset: number;
  ensureAvailable(length: number): void;
}

function replaceExports(path: string, exports: unknown): void {
  require(path);
  require.cache[require.resolve(path)]!.exports = exports;
}
