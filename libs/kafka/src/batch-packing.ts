/**
 * A batch of records as one buffer, so that it crosses to the producer worker as one transfer:
 * per record the topic index (u16), the key, the value and the headers, each as a u32 length and
 * bytes (header names with u16 lengths; a null key or value has length 0xffffffff). A record may
 * carry `fixedHeaders` (PackedHeaders), written before its own `headers`.
 */
import type { IHeaders, Message, TopicMessages } from 'kafkajs';
import type { PackedHeaders } from './packed-headers';

/** A kafkajs message as packBatch reads it: the gateway's records add their fixed headers. */
type PackableMessage = Message & { fixedHeaders?: PackedHeaders };

/** Where packBatch gets its buffer: at least `size` bytes (a pooled one, or a new one). */
export type PackBuffer = (size: number) => ArrayBuffer;

const allocate: PackBuffer = (size) => new ArrayBuffer(size);

/** String lengths are reserved at the UTF-8 worst case, 3 bytes per UTF-16 unit. */
export function packBatch(
  topicMessages: TopicMessages[],
  take: PackBuffer = allocate,
): {
  topics: string[];
  data: ArrayBuffer;
  /** The bytes of `data` in use (it may be larger). */
  size: number;
  count: number;
} {
  const topics: string[] = [];
  let size = 0;
  let count = 0;
  for (const { topic, messages } of topicMessages) {
    topics.push(topic);
    for (const m of messages as PackableMessage[]) {
      size += 2 + 4 + byteBound(m.key) + 4 + byteBound(m.value) + 2;
      if (m.fixedHeaders) size += m.fixedHeaders.bytes.length;
      for (const name in m.headers) size += 2 + name.length * 3 + 4 + byteBound(headerValue(m, name));
      count++;
    }
  }
  const data = take(size);
  const buf = Buffer.from(data, 0, size);
  let at = 0;
  const putBytes = (value: Message['value'] | undefined) => {
    if (value === null || value === undefined) {
      buf.writeUInt32LE(0xffffffff, at);
      return (at += 4);
    }
    const written = typeof value === 'string' ? writeString(buf, at + 4, value) : value.copy(buf, at + 4);
    buf.writeUInt32LE(written, at);
    return (at += 4 + written);
  };
  for (let t = 0; t < topicMessages.length; t++) {
    for (const m of topicMessages[t].messages as PackableMessage[]) {
      buf.writeUInt16LE(t, at);
      at += 2;
      putBytes(m.key);
      putBytes(m.value);
      const countAt = at;
      at += 2;
      let headers = 0;
      if (m.fixedHeaders) {
        at += m.fixedHeaders.bytes.copy(buf, at);
        headers = m.fixedHeaders.count;
      }
      for (const name in m.headers) {
        const written = writeString(buf, at + 2, name);
        buf.writeUInt16LE(written, at);
        at += 2 + written;
        putBytes(headerValue(m, name));
        headers++;
      }
      buf.writeUInt16LE(headers, countAt);
    }
  }
  return { topics, data, size: at, count };
}

/**
 * UTF-8 bytes of `text` at `at`; returns their count. Keys and header names and values are short
 * and ASCII almost always: a loop here is several times cheaper than a call into Buffer#write.
 */
function writeString(buf: Buffer, at: number, text: string): number {
  const length = text.length;
  if (length > 64) return buf.write(text, at);
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) return buf.write(text, at);
    buf[at + i] = code;
  }
  return length;
}

function byteBound(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? value.length * 3 : value.length;
}

function headerValue(m: Message, name: string): Buffer | string | undefined {
  const value = m.headers![name];
  if (Array.isArray(value)) throw new Error(`header ${name}: multi-valued headers are not supported`);
  return value;
}

/** The records of a packed batch; keys, values and header values are views of `buf`. */
export function unpackBatch(topics: string[], buf: Buffer, count: number): TopicMessages[] {
  const byTopic: Message[][] = topics.map(() => []);
  let at = 0;
  const bytes = () => {
    const length = buf.readUInt32LE(at);
    at += 4;
    if (length === 0xffffffff) return null;
    const value = buf.subarray(at, at + length);
    at += length;
    return value;
  };
  for (let i = 0; i < count; i++) {
    const topic = buf.readUInt16LE(at);
    at += 2;
    const key = bytes();
    const value = bytes();
    let headerCount = buf.readUInt16LE(at);
    at += 2;
    const headers: IHeaders = {};
    while (headerCount-- > 0) {
      const nameLength = buf.readUInt16LE(at);
      const name = buf.toString('utf8', at + 2, at + 2 + nameLength);
      at += 2 + nameLength;
      headers[name] = bytes() ?? undefined;
    }
    byTopic[topic].push({ key, value, headers });
  }
  return topics.map((topic, t) => ({ topic, messages: byTopic[t] }));
}
