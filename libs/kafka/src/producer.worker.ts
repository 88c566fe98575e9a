/**
 * Worker thread entry of WorkerProducer: one kafkajs producer; batches arrive packed by packBatch
 * and leave in their lane's turn, unless their epoch was cut (sendInTurn). Records keep their
 * bytes: keys and header values are slices of the transferred buffer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { AppLogger } from '@app/observability';
import { unpackBatch } from './batch-packing';
import { createKafkaClient } from './kafka-client.factory';
import { KeyPartitioner } from './key-partitioner';
import { SerialLanes, sendInTurn } from './serial-lanes';
import type { FromProducerWorker, ToProducerWorker, WorkerProducerOptions } from './worker-producer';

const port = parentPort!;
const options = workerData as WorkerProducerOptions;
const post = (message: FromProducerWorker) => port.postMessage(message);

const sink = (level: 'error' | 'warn' | 'debug') => (extra: Record<string, unknown>, message: string) =>
  post({ type: 'log', level, message, extra: plain(extra) });
// createKafkaClient only needs child().error/warn/debug: they go to the main thread's logger.
const logger = { child: () => ({ error: sink('error'), warn: sink('warn'), debug: sink('debug') }) };

const producer = createKafkaClient({
  brokers: options.brokers,
  clientId: options.clientId,
  logger: logger as unknown as AppLogger,
}).producer({
  createPartitioner: KeyPartitioner,
  allowAutoTopicCreation: false,
  maxInFlightRequests: options.maxInFlightRequests,
  retry: options.retry,
});
producer.on(producer.events.CONNECT, () => post({ type: 'event', event: 'connect' }));
producer.on(producer.events.DISCONNECT, () => post({ type: 'event', event: 'disconnect' }));
const lanes = new SerialLanes();

port.on('message', (message: ToProducerWorker) => {
  const run = async () => {
    switch (message.type) {
      case 'connect':
        return producer.connect();
      case 'disconnect':
        return producer.disconnect();
      case 'send':
        return sendInTurn(
          lanes,
          message.lane,
          message.notAfter,
          () =>
            producer.sendBatch({
              topicMessages: unpackBatch(message.topics, Buffer.from(message.data), message.count),
              acks: message.acks,
              timeout: message.timeout,
              compression: message.compression,
            }),
          message.epoch,
        );
    }
  };
  // A send's buffer goes back to the main thread once kafkajs is done with its records.
  const data = message.type === 'send' ? message.data : undefined;
  const transfer = data ? [data] : [];
  run().then(
    () => port.postMessage({ type: 'done', id: message.id, data } satisfies FromProducerWorker, transfer),
    (error: Error) =>
      port.postMessage(
        {
          type: 'failed',
          id: message.id,
          name: error.name,
          message: error.message,
          data,
        } satisfies FromProducerWorker,
        transfer,
      ),
  );
});

/** Log context as plain data (errors and buffers do not survive postMessage as they are). */
function plain(extra: Record<string, unknown>): Record<string, unknown> {
  try {
    return JSON.parse(JSON.stringify(extra)) as Record<string, unknown>;
  } catch {
    return {};
  }
}
