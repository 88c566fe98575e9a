import { EventEmitter } from 'node:events';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ProducerBatch, RetryOptions } from 'kafkajs';
import type { AppLogger } from '@app/observability';
import { packBatch } from './batch-packing';
import { PackBufferPool } from './pack-buffer-pool';
import type { LaneSender } from './serial-lanes';

/** Settings of the kafkajs client and producer that run inside the worker thread. */
export interface WorkerProducerOptions {
  brokers: string[];
  clientId: string;
  maxInFlightRequests?: number;
  retry?: RetryOptions;
}

/** Main thread → worker. */
export type ToProducerWorker =
  | { type: 'connect'; id: number }
  | { type: 'disconnect'; id: number }
  | {
      type: 'send';
      id: number;
      lane: number;
      notAfter: number;
      /** The lane's epoch at dispatch (see LaneSender). */
      epoch: number;
      topics: string[];
      data: ArrayBuffer;
      count: number;
      acks: number;
      timeout?: number;
      compression?: number;
    };

/** Worker → main thread. */
export type FromProducerWorker =
  /** `data`: a send's packed batch, handed back (transferred) for the next batch to use. */
  | { type: 'done'; id: number; data?: ArrayBuffer }
  /** `name`: the error's class name (LaneCutError, StaleBatchError, KafkaJS…), kept across the thread. */
  | { type: 'failed'; id: number; name: string; message: string; data?: ArrayBuffer }
  | { type: 'event'; event: 'connect' | 'disconnect' }
  | { type: 'log'; level: 'error' | 'warn' | 'debug'; message: string; extra: Record<string, unknown> };

const WORKER_ENTRY = join(__dirname, `producer.worker${extname(__filename)}`);

/**
 * A kafkajs producer in a worker thread, so that record encoding and CRCs run beside the event loop
 * instead of on it. Batches (acks and all) cross over as one transferred buffer each; the worker
 * keeps each lane's batches in order and sends the next one the moment the previous returns,
 * without waiting for this thread, unless the previous one failed: then it sends no more batches of
 * that epoch (see LaneSender). Emits `connect` and `disconnect` like the kafkajs producer.
 */
export class WorkerProducer extends EventEmitter implements LaneSender {
  private readonly worker: Worker;
  private readonly calls = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private stopped: Error | undefined;
  private readonly buffers = new PackBufferPool();
  private readonly take = (size: number) => this.buffers.take(size);

  constructor(options: WorkerProducerOptions, logger: AppLogger) {
    super();
    const log = logger.child({ component: 'kafkajs' });
    this.worker = new Worker(WORKER_ENTRY, {
      workerData: options,
      // Under Jest the sources are TypeScript: the worker compiles them with the project's hook.
      execArgv:
        extname(__filename) === '.ts' && process.env.TS_WORKER_REGISTER
          ? ['--require', process.env.TS_WORKER_REGISTER]
          : undefined,
    });
    this.worker.unref();
    this.worker.on('message', (message: FromProducerWorker) => {
      switch (message.type) {
        case 'done':
          if (message.data) this.buffers.give(message.data);
          return this.finish(message.id);
        case 'failed':
          if (message.data) this.buffers.give(message.data);
          return this.finish(message.id, namedError(message.name, message.message));
        case 'event':
          return void this.emit(message.event);
        case 'log':
          return log[message.level](message.extra, message.message);
      }
    });
    this.worker.on('error', (error) =>
      this.stop(new Error(`Kafka producer worker failed: ${error.message}`)),
    );
    this.worker.on('exit', (code) => this.stop(new Error(`Kafka producer worker exited (${code})`)));
  }

  connect(): Promise<void> {
    return this.call({ type: 'connect', id: this.nextId++ });
  }

  async disconnect(): Promise<void> {
    if (this.stopped) return;
    await this.call({ type: 'disconnect', id: this.nextId++ });
    this.stop(new Error('Kafka producer disconnected'));
    await this.worker.terminate();
  }

  /** Resolves once Kafka acknowledged the batch, like kafkajs' `sendBatch`; see LaneSender. */
  sendLaneBatch(lane: number, batch: ProducerBatch, notAfter: number, epoch: number): Promise<void> {
    const { topics, data, count } = packBatch(batch.topicMessages ?? [], this.take);
    return this.call(
      {
        type: 'send',
        id: this.nextId++,
        lane,
        notAfter,
        epoch,
        topics,
        data,
        count,
        acks: batch.acks ?? -1,
        timeout: batch.timeout,
        compression: batch.compression,
      },
      [data],
    );
  }

  private call(message: ToProducerWorker, transfer: ArrayBuffer[] = []): Promise<void> {
    if (this.stopped) return Promise.reject(this.stopped);
    return new Promise<void>((resolve, reject) => {
      this.calls.set(message.id, { resolve, reject });
      this.worker.postMessage(message, transfer);
    });
  }

  private finish(id: number, error?: Error): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.calls.delete(id);
    if (error) call.reject(error);
    else call.resolve();
  }

  private stop(error: Error): void {
    if (this.stopped) return;
    this.stopped = error;
    this.emit('disconnect');
    for (const [id] of this.calls) this.finish(id, error);
  }
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
