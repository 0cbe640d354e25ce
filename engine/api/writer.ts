import { InvalidQueryError } from '../errors.js';
import { checkQuery } from '../plan/checker.js';
import type { PlanNode } from '../plan/nodes.js';
import type { ForeachBatchFunction, SinkSpec } from '../sinks/sink.js';
import { parseDuration } from '../time/duration.js';
import type { Duration, OutputMode, Row } from '../types.js';

/** How several watermarks combine into the global one (Spark's `multipleWatermarkPolicy`). */
export type WatermarkPolicy = 'min' | 'max';

/**
 * How the shards (query partitions) of a query share one watermark:
 * - `max` (default, Spark's rule across partitions): the maximum event time seen on any shard
 *   minus the delay. Windows close as soon as the stream as a whole has moved on, even on a shard
 *   that gets no more data; rows of a shard that lags behind the others are late.
 * - `min`: the slowest shard's watermark; nothing a lagging shard sends is late, but one quiet
 *   shard holds every window open (unless the idle policy moves it).
 * - `per-shard`: each shard keeps its own watermark (the first design); a quiet shard's windows
 *   never close without the idle policy.
 */
export type ShardWatermarkPolicy = 'max' | 'min' | 'per-shard';

/** @see ShardWatermarkPolicy */
export const DEFAULT_SHARD_WATERMARK: ShardWatermarkPolicy = 'max';

/** A complete, checked query: what runtimes (test kit, local runner, Lambda) execute. */
export interface QueryDefinition {
  readonly name: string;
  readonly plan: PlanNode;
  readonly outputMode: OutputMode;
  readonly sink: SinkSpec;
  readonly watermarkPolicy: WatermarkPolicy;
  /**
   * `off`: never plan an exchange; a stateful operator whose keys ignore the source's partition key
   * is then an error (`GROUPING_IGNORES_PARTITION_KEY`). @default 'auto'
   */
  readonly exchange?: 'auto' | 'off';
  /** How shards share the watermark. @default {@link DEFAULT_SHARD_WATERMARK} */
  readonly shardWatermark?: ShardWatermarkPolicy;
  /** The idle-watermark policy: see {@link DataStreamWriter.idleWatermark}. */
  readonly idleWatermarkMs?: number;
  /** `false`: no batch runs without new data (see {@link DataStreamWriter.noDataMicroBatches}). @default true */
  readonly noDataMicroBatches?: boolean;
}

/**
 * Describes where and how a stream's results are written, like Spark's `DataStreamWriter`.
 * `build()` checks the plan and returns the {@link QueryDefinition}.
 *
 * @example
 * stream.writeStream.queryName('page-views').outputMode('append').format('parquet').build()
 */
export class DataStreamWriter<T extends object> {
  private name = 'query';
  private mode: OutputMode = 'append';
  private sink: SinkSpec = { kind: 'memory' };
  private policy: WatermarkPolicy = 'min';
  private idleMs: number | undefined;
  private shards: ShardWatermarkPolicy = DEFAULT_SHARD_WATERMARK;
  private exchangeMode: 'auto' | 'off' = 'auto';
  private noDataBatches = true;

  constructor(private readonly plan: PlanNode) {}

  /** Names the query: it keys the checkpoint, the state and the output prefix. */
  queryName(name: string): this {
    this.name = name;
    return this;
  }

  /** @default 'append' */
  outputMode(mode: OutputMode): this {
    this.mode = mode;
    return this;
  }

  /** `memory` and `console` for tests and demos; `json` (JSON Lines) or `parquet` files in S3. */
  format(format: 'memory' | 'console' | 'json' | 'parquet'): this {
    this.sink =
      format === 'memory' || format === 'console'
        ? { kind: format }
        : { kind: 'files', format: format === 'json' ? 'jsonl' : 'parquet', partitionBy: [] };
    return this;
  }

  /** File sinks: partition objects by these columns (`col=value/` prefixes). */
  partitionBy(...columns: string[]): this {
    if (this.sink.kind !== 'files') this.sink = { kind: 'files', format: 'jsonl', partitionBy: columns };
    else this.sink = { ...this.sink, partitionBy: columns };
    return this;
  }

  /**
   * Calls `fn(rows, batchId, ctx)` once per batch; a replay passes the same rows for the same
   * batch id, so writes keyed by batch id are idempotent.
   */
  foreachBatch(fn: ForeachBatchFunction<T>): this {
    this.sink = { kind: 'foreachBatch', fn: fn as ForeachBatchFunction<Row> };
    return this;
  }

  /** Combines several watermarks by `min` (Spark's default, safe) or `max`. */
  watermarkPolicy(policy: WatermarkPolicy): this {
    this.policy = policy;
    return this;
  }

  /**
   * How the query's shards share one watermark (see {@link ShardWatermarkPolicy}). Stored with
   * the checkpoint: restarting a query with a different policy fails fast.
   * @default 'max'
   */
  shardWatermark(policy: ShardWatermarkPolicy): this {
    this.shards = policy;
    return this;
  }

  /**
   * Whether the planner may insert an exchange (a shuffle) before a stateful operator whose keys do
   * not follow the source's partition key, running the query as two stages (see `explain`).
   * `'off'` makes such a query an error instead (`GROUPING_IGNORES_PARTITION_KEY`).
   * @default 'auto'
   */
  exchanges(mode: 'auto' | 'off'): this {
    this.exchangeMode = mode;
    return this;
  }

  /**
   * Lets the watermark advance on a partition (a Kinesis shard) that receives no input: once it
   * has been quiet for `after` of processing time, each trigger (the heartbeat on Lambda) treats
   * it as having seen event time `now − after`. Windows then close and event-time timeouts fire
   * without new data. The cost: a record arriving later with an event time behind that point is
   * late and dropped, so pick `after` larger than the producers' worst delivery delay.
   * Off by default (Spark's behaviour: an idle input holds the watermark).
   */
  idleWatermark(after: Duration): this {
    this.idleMs = parseDuration(after);
    return this;
  }

  /**
   * Whether a batch without new data runs when the watermark has moved (or a processing-time
   * timeout is due), to emit closed windows and evict state: Spark's
   * `spark.sql.streaming.noDataMicroBatches.enabled`. With `false`, windows close, state is evicted
   * and timeouts fire only in the next batch that brings data, and heartbeats (on Lambda) run
   * nothing. It changes when results appear, not what they are, so it may change across restarts.
   * @default true
   */
  noDataMicroBatches(enabled: boolean): this {
    this.noDataBatches = enabled;
    return this;
  }

  /** Checks the plan (throwing `InvalidQueryError` naming the rule) and returns the query. */
  build(): QueryDefinition {
    const query: QueryDefinition = {
      name: this.name,
      plan: this.plan,
      outputMode: this.mode,
      sink: this.sink,
      watermarkPolicy: this.policy,
      shardWatermark: this.shards,
      ...(this.exchangeMode === 'off' ? { exchange: 'off' as const } : {}),
      ...(this.idleMs === undefined ? {} : { idleWatermarkMs: this.idleMs }),
      ...(this.noDataBatches ? {} : { noDataMicroBatches: false }),
    };
    if (!this.noDataBatches && this.idleMs !== undefined) {
      throw new InvalidQueryError(
        'IDLE_WATERMARK_WITHOUT_NO_DATA_BATCHES',
        `Query '${this.name}' sets idleWatermark(...) and noDataMicroBatches(false): the idle policy moves the watermark in batches without data, which the second setting turns off. Keep one of them.`,
        { query: this.name },
      );
    }
    checkQuery(query);
    return query;
  }
}
