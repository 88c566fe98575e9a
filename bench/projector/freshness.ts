import { performance } from 'node:perf_hooks';
import type { ProjectorProcess } from './projector-process';

/** An epoch-ms number as a DateTime64(3) literal (received_at is DateTime64(3, 'UTC')). */
export const sqlMs = (ms: number) => `fromUnixTimestamp64Milli(toInt64(${Math.floor(ms)}), 'UTC')`;

/** Rows newly visible at one poll for one received_at value (epoch ms). */
export interface Sighting {
  receivedAt: number;
  rows: number;
  /** Epoch ms when the poll that first saw them was sent, and when its answer arrived. */
  pollSent: number;
  pollDone: number;
  /** Epoch ms when the previous poll (which did not see them yet) was sent. */
  previousSent: number;
}

/**
 * Watches container_stats through the projector's /sql endpoint. Every row carries its Kafka
 * position (_src_partition, _src_offset); the projector stores each partition in offset order, one
 * insert (one atomic part) at a time, so "offset above the highest one seen in that partition" is
 * exactly "not seen before". Each poll asks for those rows only, grouped by received_at.
 */
export class FreshnessProbe {
  readonly sightings: Sighting[] = [];
  readonly roundTripsMs: number[] = [];
  errors = 0;
  lastError = '';
  private readonly highest = new Map<number, bigint>();
  private running = true;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly projector: ProjectorProcess,
    private readonly everyMs = 25,
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Rows above the highest offset seen per partition, and rows of partitions not seen yet. */
  private unseen(): string {
    if (this.highest.size === 0) return '1';
    const known = [...this.highest];
    return [
      ...known.map(([p, o]) => `(_src_partition = ${p} AND _src_offset > ${o})`),
      `_src_partition NOT IN (${known.map(([p]) => p).join(', ')})`,
    ].join(' OR ');
  }

  private async run(): Promise<void> {
    let previousSent = Date.now();
    while (this.running) {
      const began = performance.now();
      const sent = Date.now();
      try {
        const rows = await this.projector.sql<{ p: number; r: string; c: string; m: string }>(
          `SELECT _src_partition AS p, toUnixTimestamp64Milli(received_at) AS r, count() AS c,
                  toString(max(_src_offset)) AS m
           FROM containeragent.container_stats WHERE ${this.unseen()} GROUP BY p, r`,
        );
        const done = Date.now();
        this.roundTripsMs.push(performance.now() - began);
        for (const row of rows) {
          const partition = Number(row.p);
          const offset = BigInt(row.m);
          if (offset > (this.highest.get(partition) ?? -1n)) this.highest.set(partition, offset);
          this.sightings.push({
            receivedAt: Number(row.r),
            rows: Number(row.c),
            pollSent: sent,
            pollDone: done,
            previousSent,
          });
        }
      } catch (error) {
        this.errors++;
        this.lastError = (error as Error).message;
      }
      previousSent = sent;
      await new Promise((r) => setTimeout(r, Math.max(0, this.everyMs - (performance.now() - began))));
    }
  }
}
