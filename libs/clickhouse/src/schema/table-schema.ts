/**
 * One definition per ClickHouse table: columns, engine, keys, TTL. DDL for a single node or a
 * cluster is rendered from it (ddl.ts), and row types are derived from it (RowOf).
 */
export interface ColumnDef {
  readonly name: string;
  readonly type: string;
  readonly codec?: string;
  /** Sub-columns of a Nested column (stored as parallel arrays `name.sub`). */
  readonly nested?: Readonly<Record<string, string>>;
}

export type Engine =
  | { readonly kind: 'MergeTree' }
  | { readonly kind: 'ReplacingMergeTree'; readonly version: string }
  | { readonly kind: 'AggregatingMergeTree' };

export interface TableDef {
  readonly kind: 'table';
  readonly name: string;
  readonly comment: string;
  readonly columns: readonly ColumnDef[];
  readonly engine: Engine;
  readonly orderBy: readonly string[];
  readonly partitionBy?: string;
  /** TTL expression; `{ttlDays}` and `{rollupTtlDays}` are filled from configuration. */
  readonly ttl?: string;
  readonly indexes?: readonly string[];
  /** Distributed table sharding key in the cluster variant. */
  readonly shardBy: string;
}

export interface ViewDef {
  readonly kind: 'view';
  readonly name: string;
  readonly to: string;
  readonly from: string;
  /** SELECT … with `{from}` where the source table goes. */
  readonly select: string;
}

export type SchemaObject = TableDef | ViewDef;

/** Column names as JSON rows carry them: a Nested column becomes its `name.sub` arrays. */
export function insertColumnNames(table: Pick<TableDef, 'columns'>): string[] {
  return table.columns.flatMap((c) =>
    c.nested ? Object.keys(c.nested).map((sub) => `${c.name}.${sub}`) : [c.name],
  );
}

type Inner<T extends string> = T extends `LowCardinality(${infer I})` ? I : T;
/** The TypeScript value a JSONEachRow row carries for a ClickHouse type (64-bit integers as strings). */
export type TsOf<T extends string> =
  Inner<T> extends `Nullable(${infer I})`
    ? TsOf<I> | null
    : Inner<T> extends `Array(${infer I})`
      ? TsOf<I>[]
      : Inner<T> extends `Map(${string})`
        ? Record<string, string>
        : Inner<T> extends 'String'
          ? string
          : Inner<T> extends `DateTime64${string}`
            ? number
            : Inner<T> extends `Float${string}`
              ? number
              : Inner<T> extends 'UInt64' | 'Int64'
                ? string
                : Inner<T> extends `UInt${string}` | `Int${string}`
                  ? number
                  : Inner<T> extends 'Bool'
                    ? boolean
                    : unknown;

type NestedColumns<C> = C extends {
  name: infer N extends string;
  nested: infer F extends Record<string, string>;
}
  ? { [K in keyof F & string as `${N}.${K}`]: TsOf<F[K]>[] }
  : never;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void
  ? I
  : never;

/** A row of a table as inserted with JSONEachRow. */
export type RowOf<T extends { columns: readonly ColumnDef[] }> = {
  [C in T['columns'][number] as C extends { nested: object } ? never : C['name']]: TsOf<C['type']>;
} & UnionToIntersection<NestedColumns<T['columns'][number]>>;
