import { HEADER } from '@app/contracts';
import type { Metrics } from '@app/observability';
import type { SourceRecord } from '../projections/source-record';
import type { ProjectResult } from '../worker/worker-protocol';

/**
 * What a projection reports: progress, failures, and how fresh its rows are. Its lag is the
 * broker's view and is set by ConsumerLagMonitor.
 */
export class ProjectionMetrics {
  /** Inserts that failed (retried). */
  readonly failures;
  /** Stored batches whose DLQ records or offsets could not be written (retried). */
  readonly commitFailures;
  private readonly records;
  private readonly rows;
  private readonly insertSeconds;
  private readonly freshnessSeconds;

  constructor(
    metrics: Metrics,
    private readonly projection: string,
  ) {
    const labels = { projection } as const;
    this.records = metrics.counter({
      name: 'projector_records_total',
      help: 'Records handled',
      labelNames: ['projection', 'outcome'] as const,
    });
    this.rows = metrics.counter({
      name: 'projector_rows_inserted_total',
      help: 'Rows inserted',
      labelNames: ['projection'] as const,
    });
    this.failures = metrics
      .counter({
        name: 'projector_store_failures_total',
        help: 'Failed stores (retried)',
        labelNames: ['projection'] as const,
      })
      .labels(labels);
    this.commitFailures = metrics
      .counter({
        name: 'projector_commit_failures_total',
        help: 'Stored batches whose DLQ records or offsets could not be written to Kafka (retried)',
        labelNames: ['projection'] as const,
      })
      .labels(labels);
    this.insertSeconds = metrics.histogram({
      name: 'projector_store_seconds',
      help: 'Time to store a batch',
      labelNames: ['projection'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    });
    this.freshnessSeconds = metrics.histogram({
      name: 'projector_freshness_seconds',
      help: 'Gateway receive time to row stored',
      labelNames: ['projection'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    });
  }

  recordSuccess(records: SourceRecord[], result: ProjectResult, startedMs: number): void {
    const now = Date.now();
    const { projection } = this;
    this.records.inc(
      { projection, outcome: 'stored' },
      records.length - result.duplicates - result.rejected.length,
    );
    if (result.duplicates > 0) this.records.inc({ projection, outcome: 'duplicate' }, result.duplicates);
    if (result.rejected.length > 0) this.records.inc({ projection, outcome: 'dlq' }, result.rejected.length);
    this.rows.inc({ projection }, result.inserted);
    this.insertSeconds.observe({ projection }, (now - startedMs) / 1000);
    for (const record of records) {
      const receivedAt = Number(record.headers[HEADER.receivedAt]);
      if (receivedAt > 0) this.freshnessSeconds.observe({ projection }, (now - receivedAt) / 1000);
    }
  }
}
