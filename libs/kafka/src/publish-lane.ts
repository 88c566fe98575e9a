import type { Message, TopicMessages } from 'kafkajs';
import type { OutboundRecord, PublishCallback } from './batching-producer';

/** A record accepted by BatchingProducer until its callback ran. */
export interface Pending {
  record: OutboundRecord;
  bytes: number;
  deadline: number;
  settled: boolean;
  done: PublishCallback;
}

/** One ordered pipeline of BatchingProducer: a queue, one batch in flight and maybe some staged behind it. */
export interface Lane {
  index: number;
  /** Starts at 0; a cut (see BatchingProducer) begins the next one. Every dispatched batch carries it. */
  epoch: number;
  /** Waiting records are queue[head..]; taking a batch advances `head` instead of copying the rest. */
  queue: Pending[];
  head: number;
  queuedBytes: number;
  inFlightBytes: number;
  /** Batches handed to the sender and not answered by it yet, in dispatch order. */
  dispatched: Set<Pending[]>;
  /** From reaching its share of the soft limit until falling below half of it. */
  saturated: boolean;
  /** Someone saw this lane saturated: the end of the saturation emits `drain`. */
  drainOwed: boolean;
  lingerTimer: NodeJS.Timeout | undefined;
}

export function newLane(index: number): Lane {
  return {
    index,
    epoch: 0,
    queue: [],
    head: 0,
    queuedBytes: 0,
    inFlightBytes: 0,
    dispatched: new Set(),
    saturated: false,
    drainOwed: false,
    lingerTimer: undefined,
  };
}

export function queuedCount(lane: Lane): number {
  return lane.queue.length - lane.head;
}

/** Takes the next batch (at least one record, at most `maxBatchBytes` otherwise) off the queue as in flight. */
export function takeBatch(lane: Lane, maxBatchBytes: number): { batch: Pending[]; bytes: number } {
  const queue = lane.queue;
  const head = lane.head;
  let bytes = 0;
  let end = head;
  while (end < queue.length && (end === head || bytes + queue[end].bytes <= maxBatchBytes)) {
    bytes += queue[end].bytes;
    end++;
  }
  let batch: Pending[];
  if (end === queue.length) {
    batch = head === 0 ? queue : queue.slice(head);
    lane.queue = [];
    lane.head = 0;
  } else {
    batch = queue.slice(head, end);
    // Taken entries are dropped lazily: compacted once they are the larger part of the array.
    if (end > 1024 && end * 2 > queue.length) {
      lane.queue = queue.slice(end);
      lane.head = 0;
    } else {
      queue.fill(undefined as unknown as Pending, head, end);
      lane.head = end;
    }
  }
  lane.queuedBytes -= bytes;
  lane.inFlightBytes += bytes;
  return { batch, bytes };
}

/** Empties the lane's queue (and stops its linger): what it held, and how many bytes. */
export function takeQueued(lane: Lane): { records: Pending[]; bytes: number } {
  const records = lane.head === 0 ? lane.queue : lane.queue.slice(lane.head);
  const bytes = lane.queuedBytes;
  lane.queue = [];
  lane.head = 0;
  lane.queuedBytes = 0;
  clearTimeout(lane.lingerTimer);
  lane.lingerTimer = undefined;
  return { records, bytes };
}

/** FNV-1a over the key's UTF-16 code units: the same key always lands in the same lane. */
export function laneOf(key: string, lanes: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % lanes;
}

export function recordBytes(record: OutboundRecord): number {
  let bytes = record.value.length + record.key.length + 64;
  if (record.fixedHeaders) bytes += record.fixedHeaders.bytes.length;
  for (const name in record.headers) bytes += name.length + record.headers[name].length;
  return bytes;
}

export function groupByTopic(batch: Pending[]): TopicMessages[] {
  const byTopic = new Map<string, Message[]>();
  for (const { record } of batch) {
    let messages = byTopic.get(record.topic);
    if (!messages) byTopic.set(record.topic, (messages = []));
    // kafkajs reads key, value and headers; the record itself serves as the message.
    messages.push(record);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}
