import type { ClickHouseClient } from '@clickhouse/client';
import { identityKey, RowIdentity, scopeKey } from '../projections/row-identity';

type Row = Record<string, unknown>;

/** Sources remembered per projection; beyond it the memory starts over (the table answers instead). */
const MAX_SCOPES = 200_000;

/**
 * Drops rows whose natural identity is already stored. Copies of one source arrive in order in
 * one partition, so a row later than everything stored for its source is new without asking:
 * that is the steady state, and it costs a map lookup. Anything at or before it (a resend, a
 * kafkajs retry, the first batch after a start) is looked up in the table by its source and time
 * range. Filtering before the insert keeps the materialized-view rollups exact, as they see every
 * inserted row.
 */
export class IdentityFilter {
  /** Latest stored time (epoch ms) per source, learned from our own successful inserts. */
  private readonly latest = new Map<string, number>();

  constructor(
    private readonly client: ClickHouseClient,
    private readonly table: string,
    private readonly identity: RowIdentity,
  ) {}

  /** Whether each row is new: not stored before, and not an earlier row of this same batch. */
  async fresh(rows: readonly Row[]): Promise<boolean[]> {
    const stored = await this.storedAmong(rows.filter((row) => !this.laterThanStored(row)));
    const seen = new Set<string>();
    return rows.map((row) => {
      const key = identityKey(this.identity, row);
      if (stored.has(key) || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  /** After a successful insert of `rows`. */
  stored(rows: readonly Row[]): void {
    if (this.latest.size > MAX_SCOPES) this.latest.clear();
    for (const row of rows) {
      const scope = scopeKey(this.identity, row);
      const time = Number(row[this.identity.time]);
      if (time > (this.latest.get(scope) ?? -Infinity)) this.latest.set(scope, time);
    }
  }

  /** After a failed insert: part of it may be stored, so nothing is known any more. */
  forget(): void {
    this.latest.clear();
  }

  private laterThanStored(row: Row): boolean {
    const latest = this.latest.get(scopeKey(this.identity, row));
    return latest !== undefined && Number(row[this.identity.time]) > latest;
  }

  private async storedAmong(rows: readonly Row[]): Promise<Set<string>> {
    const found = new Set<string>();
    if (rows.length === 0) return found;
    const { scope, time, rest } = this.identity;
    // One IN list per scope column: a superset of the sources (their cross product) that the
    // primary key serves; rows of other sources in it never match an identity below.
    const values = scope.map(() => new Set<string>());
    let min = Infinity;
    let max = -Infinity;
    for (const row of rows) {
      scope.forEach((c, i) => values[i].add(String(row[c])));
      const t = Number(row[time]);
      if (t < min) min = t;
      if (t > max) max = t;
    }
    const columns = [
      ...scope,
      `toString(toUnixTimestamp64Milli(${time}))`,
      ...rest.map((c) => `toString(${c})`),
    ];
    const params: Record<string, unknown> = { min, max };
    scope.forEach((_, i) => (params[`s${i}`] = [...values[i]]));
    const result = await this.client.query({
      query: `SELECT ${columns.join(', ')} FROM ${this.table}
              WHERE ${scope.map((c, i) => `${c} IN {s${i}:Array(String)}`).join(' AND ')}
                AND ${time} BETWEEN fromUnixTimestamp64Milli({min:Int64}) AND fromUnixTimestamp64Milli({max:Int64})`,
      query_params: params,
      format: 'JSONCompactEachRow',
    });
    for (const stored of await result.json<string[]>()) found.add(stored.map(String).join('\u0000'));
    return found;
  }
}
