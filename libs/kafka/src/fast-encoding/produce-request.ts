/**
 * kafkajs' Produce request v3 (v4-v7 reuse it) for the plain case — no compression, no
 * transaction, no idempotence, records without their own timestamps — written in one pass into
 * one buffer: kafkajs builds every record, record batch, partition and topic in an Encoder of its
 * own and copies each into the next (six copies of every byte). Same bytes as kafkajs
 * (install.spec.ts compares whole requests); every other case goes to kafkajs' own request.
 *
 * Payload => transactional_id:nullable-string acks:int16 timeout:int32
 *            [topic:string [partition:int32 record_set_size:int32 record_set]]
 * record_set => base_offset:int64 length:int32 leader_epoch:int32 magic:int8 crc:uint32
 *               attributes:int16 last_offset_delta:int32 first_timestamp:int64 max_timestamp:int64
 *               producer_id:int64 producer_epoch:int16 base_sequence:int32 [records]
 */
import type { Message } from 'kafkajs';
import { crc32c } from './crc32c';
import { measureRecord, RecordLayout, writeRecord } from './record-encoder';

interface PartitionData {
  partition: number;
  firstSequence?: number;
  messages: Message[];
}

export interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  /** A kafkajs Long, or -1 when not idempotent. */
  producerId?: number | { toString(): string };
  producerEpoch?: number;
  compression?: number;
  topicData: { topic: string; partitions: PartitionData[] }[];
}

export interface ProduceRequest {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  expectResponse(): boolean;
  encode(): Promise<unknown>;
}

const MAGIC = 2;
const NO_PRODUCER_ID = -1n;
/** Bytes of a record set before its records: base offset .. record count. */
const RECORD_SET_HEADER = 8 + 4 + 4 + 1 + 4 + 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;

/** `original` is kafkajs' v3 request function; `encoderPrototype` its Encoder.prototype. */
export function fastProduceRequest(
  original: (args: ProduceArgs) => ProduceRequest,
  encoderPrototype: object,
): (args: ProduceArgs) => ProduceRequest {
  return (args) => {
    const request = original(args);
    if (!isPlain(args)) return request;
    return {
      ...request,
      encode: function encodeInOnePass() {
        return Promise.resolve(encodePlain(args, encoderPrototype));
      },
    };
  };
}

function isPlain(args: ProduceArgs): boolean {
  return (
    (args.compression ?? 0) === 0 &&
    args.transactionalId == null &&
    (args.producerId === undefined || String(args.producerId) === '-1') &&
    (args.producerEpoch ?? 0) === 0 &&
    args.topicData.every((t) =>
      t.partitions.every((p) => p.messages.every((m) => m.timestamp === undefined || m.timestamp === null)),
    )
  );
}

function encodePlain(args: ProduceArgs, encoderPrototype: object): object {
  let size = 2 + 2 + 4 + 4;
  const topics = args.topicData.map(({ topic, partitions }) => {
    size += 2 + Buffer.byteLength(topic, 'utf8') + 4;
    return {
      topic,
      partitions: partitions.map(({ partition, firstSequence = 0, messages }) => {
        const records: RecordLayout[] = messages.map((m, i) =>
          measureRecord({
            key: m.key,
            value: m.value,
            headers: m.headers,
            offsetDelta: i,
            timestampDelta: 0,
          }),
        );
        const recordBytes = records.reduce((n, r) => n + r.size, 0);
        size += 4 + 4 + RECORD_SET_HEADER + recordBytes;
        return { partition, firstSequence, records, recordBytes };
      }),
    };
  });

  const buf = Buffer.allocUnsafe(size);
  let at = buf.writeInt16BE(-1, 0); // no transactional id
  at = buf.writeInt16BE(args.acks, at);
  at = buf.writeInt32BE(args.timeout, at);
  at = buf.writeInt32BE(topics.length, at);
  for (const { topic, partitions } of topics) {
    const topicLength = buf.write(topic, at + 2, 'utf8');
    at = buf.writeInt16BE(topicLength, at) + topicLength;
    at = buf.writeInt32BE(partitions.length, at);
    for (const { partition, firstSequence, records, recordBytes } of partitions) {
      // kafkajs takes one clock reading per partition as its records' timestamp.
      const now = BigInt(Date.now());
      at = buf.writeInt32BE(partition, at);
      at = buf.writeInt32BE(RECORD_SET_HEADER + recordBytes, at);
      at = buf.writeBigInt64BE(0n, at); // base offset
      at = buf.writeInt32BE(RECORD_SET_HEADER - 12 + recordBytes, at); // batch length, after this field
      at = buf.writeInt32BE(0, at); // partition leader epoch
      at = buf.writeInt8(MAGIC, at);
      const crcAt = at;
      const bodyAt = at + 4;
      at = buf.writeInt16BE(0, bodyAt); // attributes: no compression, create time, not transactional
      at = buf.writeInt32BE(records.length - 1, at);
      at = buf.writeBigInt64BE(now, at);
      at = buf.writeBigInt64BE(now, at);
      at = buf.writeBigInt64BE(NO_PRODUCER_ID, at);
      at = buf.writeInt16BE(0, at);
      at = buf.writeInt32BE(firstSequence, at);
      at = buf.writeInt32BE(records.length, at);
      for (const record of records) at = writeRecord(buf, at, record);
      buf.writeUInt32BE(crc32c(buf.subarray(bodyAt, at)), crcAt);
    }
  }
  if (at !== size) throw new Error(`Produce request encoding wrote ${at} of ${size} bytes`);

  const encoder = Object.create(encoderPrototype) as { buf: Buffer; offset: number };
  encoder.buf = buf;
  encoder.offset = size;
  return encoder;
}
