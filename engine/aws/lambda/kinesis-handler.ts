import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import type { QueryDefinition } from '../../api/writer.js';
import type { CommittedBatch, PlannedBatch } from '../../checkpoint/checkpoint-store.js';
import { CheckpointConflictError } from '../../errors.js';
import { planStages } from '../../plan/exchange/plan-stages.js';
import { isStateful, walkPlan } from '../../plan/nodes.js';
import { type Adoption, adoptParentState } from '../../reshard/adopt-parent-state.js';
import { retireAncestors } from '../../reshard/retire-ancestors.js';
import type { PhaseHook } from '../../runtime/batch-runner.js';
import { compileQuery } from '../../runtime/compile.js';
import type { QueryProgress } from '../../runtime/progress.js';
import { StreamExecution, type StreamExecutionOptions } from '../../runtime/stream-execution.js';
import type { Sink } from '../../sinks/sink.js';
import type { StateMemoryLimit } from '../../state/changelog/state-memory.js';
import { type Clock, systemClock } from '../../time/clock.js';
import type { AwsClients } from '../clients.js';
import { DynamoDbCheckpointStore } from '../dynamodb/dynamodb-checkpoint-store.js';
import {
  committedSequenceNumber,
  createGapFetch,
  createRecordDecoder,
  createRefetch,
  fromLambdaRecord,
  type InputGap,
  KinesisBatchSource,
  type RecordDecoderOptions,
  shardIdOf,
  sourcesOf,
  streamNameOf,
} from '../kinesis/index.js';
import { RequestCounter } from '../request-counter.js';
import { type StreamShards, streamShards } from '../resharding/shard-lineage.js';
import { bindSink } from '../s3/bind-sink.js';
import type { ColumnType } from '../s3/column-types.js';
import { inferredColumnTypes } from '../s3/table-columns.js';
import { keyColumnsOf } from '../s3/upsert.js';
import { containerStores } from './container-stores.js';
import { PartitioningNotDeclaredError } from './errors.js';
import { firstUncommitted } from './first-uncommitted.js';
import { reportBatch, reportFailure, reportGap, reportIsolation, reportStall } from './invocation-metrics.js';
import { twoStageHandler } from './two-stage-handler.js';

/** Where and how a query runs on Lambda. Environment parsing happens in `functions/`, not here. */
export interface KinesisHandlerOptions
  extends Pick<
      RecordDecoderOptions,
      | 'route'
      | 'decode'
      | 'maxRecordBytes'
      | 'maxNestingDepth'
      | 'maxEventTimeAheadMs'
      | 'maxEventTimeBehindMs'
    >,
    Pick<StreamExecutionOptions, 'maxStateBytesPerGroup' | 'poisonIsolation'> {
  readonly clients: AwsClients;
  /** The DynamoDB table with checkpoints (and state, with `state: 'dynamodb'`). */
  readonly tableName: string;
  /**
   * Where state lives. `'s3'`: a changelog of per-batch deltas and snapshots under
   * `PREFIX/QUERY/_state/`, named by each commit, kept in memory by warm containers (cost per
   * batch independent of keys). `'dynamodb'`: one item per group key in the table.
   * @default 's3'
   */
  readonly state?: StateBackend;
  /**
   * With S3 state: the memory a shard's state may take before a batch fails with
   * `SLUICE_STATE_TOO_LARGE` (functions/ derive it from `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` and
   * `SLUICE_STATE_MEMORY_FRACTION`). @default no limit
   */
  readonly stateMemoryLimit?: StateMemoryLimit;
  /** The S3 bucket and key prefix for outputs, dead letters and progress. */
  readonly bucket: string;
  readonly prefix: string;
  /** Stop starting batches when less than this much time remains. @default 10_000 */
  readonly reserveMs?: number;
  /** Records per batch; smaller batches commit more often. @default unlimited */
  readonly maxRecordsPerBatch?: number;
  /**
   * The late-rows side output: write the rows operators drop as late (behind the watermark) to
   * `PREFIX/QUERY/_late/<batchId>-<shard>.jsonl` with the operator and the watermark, listed in the
   * batch's manifest (`sluice query <q> --late` reads them). On by default: it costs one PUT only in
   * a batch that drops rows, and without it a dropped row leaves nothing but a count. `false` keeps
   * only the count (`LateInputRows`). @default true
   */
  readonly lateRows?: boolean;
  /**
   * The run every invocation belongs to (`StreamExecutionOptions.runId`, Spark's `runId`): when it
   * changes (a deployment of new code, by the construct's `SLUICE_RUN_ID`), each input's watermark
   * restarts from new data and only the query's global watermark carries over, as after a Spark
   * restart. Retried invocations stay in the run. @default one run that never changes
   */
  readonly runId?: string;
  /**
   * The internal Kinesis stream (name or ARN) of a query that runs as two stages around an
   * exchange (`explain(query)` shows them). The handler then runs stage 1 for records of the
   * source stream and stage 2 for records of this stream; the StreamingQuery construct creates it
   * and sets `SLUICE_EXCHANGE_STREAM`. Required for such a query, ignored otherwise.
   */
  readonly exchangeStream?: string;
  /**
   * Which Kinesis stream (name or ARN) each source of a two-stage query is read from, when they
   * are not all one stream: `{ orders: 'orders-stream', payments: 'payments-stream' }`. Each stage
   * 1 then runs only for events of its source's stream; the StreamingQuery construct sets
   * `SLUICE_SOURCE_STREAMS` from its `sourceStreams`. @default every source on the event's stream
   * (records routed to sources by `route`)
   */
  readonly sources?: Readonly<Record<string, string>>;
  /**
   * Gap detection: when an event holds nothing at or before the committed position, read what
   * Kinesis holds in between (one GetShardIterator and one GetRecords of two records when nothing
   * is missing) and process records Lambda never delivered (discarded after its retries or maximum
   * record age, or a mapping without batch item failures) before the event's. A gap found is
   * logged, counted (`GapRecords`, `GapsPastRetention`) and named in the batch's progress
   * (`inputGap`). `false` trusts the event source mapping. @default true
   */
  readonly gapCheck?: boolean;
  /** Records read back for one gap per invocation; the rest the next invocation reads. @default 10_000 */
  readonly maxGapRecords?: number;
  /** Allow a stateful query with no declared partition key, for streams with exactly one shard. */
  readonly singleShard?: boolean;
  /**
   * The key columns of an update/complete-mode output, recorded in manifests so readers can build
   * the result table. @default the grouping columns of a top-level aggregation (none for
   * `flatMapGroupsWithState`: name its output key here)
   */
  readonly keyColumns?: readonly string[];
  /** Columns written as timestamps by file sinks (the sources' event-time columns are added). */
  readonly timestampColumns?: readonly string[];
  /**
   * File sinks: fixed column types. @default the query's inferred output schema (`inferSchema`), when
   * the plan can tell it, so every batch writes the same Parquet types; otherwise inferred per batch
   */
  readonly columnTypes?: Readonly<Record<string, ColumnType>>;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** Processing time. @default the system clock */
  readonly clock?: Clock;
  /** Test hook called after each batch phase (fault injection). */
  readonly hook?: PhaseHook;
  /**
   * Called with the error that ended an invocation's batches (besides the log line and metric):
   * a caller that drives the handler itself, such as `sluice backfill`, reports it.
   */
  readonly onFailure?: (error: unknown) => void;
  /**
   * Whether a shard without a checkpoint first looks up its parents (ListShards) to adopt their
   * state after a reshard. `false` for inputs that are not a Kinesis stream (a backfill of S3
   * objects). @default true
   */
  readonly adoptParents?: boolean;
}

const DEFAULT_RESERVE_MS = 10_000;

/** The state backends a query function can run with. */
export type StateBackend = 's3' | 'dynamodb';

export type KinesisHandler = (
  event: KinesisStreamEvent,
  context: Context,
) => Promise<KinesisStreamBatchResponse>;

/**
 * Builds the Lambda handler of a query: each invocation runs the micro-batch protocol for the
 * event's shard (docs/architecture.md, "On Lambda").
 *
 * ```
 * execution = StreamExecution(query, source = this shard's records (+ re-fetch), DynamoDB state and checkpoint, S3 sink)
 * loop:
 *   if remaining time < reserve: stop
 *   outcome = execution.runNextBatch()       // replay a pending WAL entry, else new records, else a due no-data batch
 *   if none: stop
 *   write progress to S3, log it, publish metrics
 * return batchItemFailures = [first record after the last commit] if any record is left, else []
 * ```
 * An error ends the loop the same way: Lambda redelivers from the first uncommitted record and
 * the next invocation replays the pending batch exactly.
 *
 * @example
 * export const handler = kinesisHandler(pageViewsQuery, { clients, tableName, bucket, prefix });
 */
export function kinesisHandler(query: QueryDefinition, options: KinesisHandlerOptions): KinesisHandler {
  checkPartitioning(query, options.singleShard ?? false);
  const staged = planStages(query);
  if (staged.exchange !== undefined) return twoStageHandler(staged, options, shardHandler);
  return shardHandler(query, options);
}

/**
 * The handler of one stage that reads a source stream's shards: the query itself, or stage 1 of a
 * two-stage query, whose sink (`sinkOf`) is the exchange writer.
 */
function shardHandler(
  query: QueryDefinition,
  options: KinesisHandlerOptions,
  sinkOf?: (shardId: string) => Sink,
  decodeAs: QueryDefinition = query,
): KinesisHandler {
  const requests = new RequestCounter();
  requests.attach(options.clients.dynamodb, 'DynamoDB');
  requests.attach(options.clients.s3, 'S3');
  const sources = sourcesOf(query);
  const decode = createRecordDecoder({
    sources: sourcesOf(decodeAs),
    ...(options.route === undefined ? {} : { route: options.route }),
    ...(options.decode === undefined ? {} : { decode: options.decode }),
    ...(options.maxRecordBytes === undefined ? {} : { maxRecordBytes: options.maxRecordBytes }),
    ...(options.maxNestingDepth === undefined ? {} : { maxNestingDepth: options.maxNestingDepth }),
    ...(options.maxEventTimeAheadMs === undefined
      ? {}
      : { maxEventTimeAheadMs: options.maxEventTimeAheadMs }),
    ...(options.maxEventTimeBehindMs === undefined
      ? {}
      : { maxEventTimeBehindMs: options.maxEventTimeBehindMs }),
  });
  // Built once per container: the changelog store's memory is the warm cache of the next invocations.
  const { location, stateStore, progressWriter } = containerStores(options, query.name);
  const timestampColumns = [
    ...(options.timestampColumns ?? []),
    ...sources.flatMap((source) => (source.eventTime === undefined ? [] : [source.eventTime])),
  ];
  // The plan's output schema fixes the file sink's types: one Parquet schema for every batch.
  const columnTypes = { ...inferredColumnTypes(query), ...options.columnTypes };
  const reserveMs = options.reserveMs ?? DEFAULT_RESERVE_MS;
  const clock = options.clock ?? systemClock;
  let kinesisCounted = false;

  const plan = compileQuery(query);
  const checkpointsOf = (partition: string) =>
    new DynamoDbCheckpointStore({
      client: options.clients.dynamodb,
      tableName: options.tableName,
      query: query.name,
      partition,
    });
  /** One shard's execution over this invocation's records (none: a replay re-fetches its range). */
  const executionOf = (
    shardId: string,
    streamArn: string,
    records: KinesisStreamEvent['Records'],
    adopt?: () => Promise<CommittedBatch | undefined>,
    onGap?: (gap: InputGap) => void,
  ) => {
    const checkpoints = checkpointsOf(shardId);
    const kinesis = { client: options.clients.kinesis, stream: streamArn, shardId };
    return new StreamExecution({
      query,
      source: new KinesisBatchSource({
        records,
        decode,
        shardId,
        refetch: createRefetch(kinesis),
        ...(onGap === undefined || options.gapCheck === false
          ? {}
          : { fetchGap: createGapFetch(kinesis), onGap }),
        ...(options.maxGapRecords === undefined ? {} : { maxGapRecords: options.maxGapRecords }),
        ...(options.maxRecordsPerBatch === undefined
          ? {}
          : { maxRecordsPerBatch: options.maxRecordsPerBatch }),
      }),
      stateStore,
      checkpoints,
      sink:
        sinkOf?.(shardId) ??
        bindSink(query.sink, {
          ...location,
          shard: shardId,
          outputMode: query.outputMode,
          timestampColumns,
          columnTypes,
          keyColumns: options.keyColumns ?? keyColumnsOf(query.plan),
        }),
      clock,
      partition: shardId,
      // Per-key state writes overwrite: a zombie must stop before them. Changelog objects are
      // new keys per attempt, which only the winning commit names: no fence (and no read) needed.
      ...(stateStore.versioning === undefined
        ? { fence: (batch: PlannedBatch) => ensureStillPending(checkpoints, batch) }
        : {}),
      ...(adopt === undefined ? {} : { adopt }),
      onIsolation: (report) => reportIsolation(report, { query: query.name, shardId }, options),
      ...(options.maxStateBytesPerGroup === undefined
        ? {}
        : { maxStateBytesPerGroup: options.maxStateBytesPerGroup }),
      ...(options.poisonIsolation === undefined ? {} : { poisonIsolation: options.poisonIsolation }),
      keepDroppedRows: options.lateRows ?? true,
      ...(options.runId === undefined ? {} : { runId: options.runId }),
      ...(options.hook === undefined ? {} : { hook: options.hook }),
    });
  };
  /**
   * A shard without a checkpoint: after a reshard, take over its ancestors' groups (see
   * adoptParentState), first finishing an ancestor's pending batch by replaying exactly its range
   * on the ancestor's own checkpoint, sink keys and records (re-fetched from the closed shard).
   */
  const adoptFromParents = async (shardId: string, streamArn: string) => {
    const shards = await streamShards(options.clients.kinesis, streamNameOf(streamArn));
    if ((shards.get(shardId)?.parents.length ?? 0) === 0) return undefined;
    const adoption = await adoptParentState({
      query,
      plan,
      shardId,
      shards,
      stateStore,
      checkpointsOf,
      finishPending: async (ancestor) => {
        await executionOf(ancestor, streamArn, []).runNextBatch();
      },
    });
    return adoption === undefined ? undefined : { adoption, shards };
  };

  return async (event, context) => {
    const records = event.Records;
    if (records.length === 0) return { batchItemFailures: [] };
    const shardId = shardIdOf(records[0]!);
    const streamArn = records[0]!.eventSourceARN;
    if (!kinesisCounted) {
      requests.attach(options.clients.kinesis, 'Kinesis');
      kinesisCounted = true;
    }
    let adopted: { adoption: Adoption; shards: StreamShards } | undefined;
    // A gap found before the first new batch: reported now, named in that batch's progress.
    let gap: InputGap | undefined;
    const execution = executionOf(
      shardId,
      streamArn,
      records,
      options.adoptParents === false
        ? undefined
        : async () => {
            adopted = await adoptFromParents(shardId, streamArn);
            return adopted?.adoption.committed;
          },
      (found) => {
        gap = found;
        reportGap(found, { query: query.name, shardId }, options);
      },
    );
    requests.take();
    let committedBatches = 0;
    let next: string | undefined;
    try {
      while (context.getRemainingTimeInMillis() >= reserveMs) {
        const outcome = await execution.runNextBatch();
        if (outcome === undefined) break;
        committedBatches++;
        const progress: QueryProgress = {
          ...outcome.progress,
          requests: requests.take(),
          ...(gap === undefined ? {} : { inputGap: { ...gap } }),
        };
        gap = undefined;
        await progressWriter.write(progress);
        reportBatch(progress, options);
      }
      // The child's checkpoint now exists: ancestors every one of whose children adopted are retired.
      if (adopted !== undefined && execution.lastCheckpoint !== undefined) {
        await retireAncestors({
          query,
          plan,
          shards: adopted.shards,
          contributors: adopted.adoption.contributors,
          stateStore,
          checkpointsOf,
        });
      }
    } catch (error) {
      reportFailure(error, { query: query.name, shardId }, options);
      options.onFailure?.(error);
    } finally {
      const endOffsets = execution.lastCheckpoint?.committed?.endOffsets;
      const committed = endOffsets === undefined ? undefined : committedSequenceNumber(endOffsets);
      next = firstUncommitted(records.map(fromLambdaRecord), committed);
      if (next !== undefined && committedBatches === 0) {
        reportStall({ query: query.name, shardId, waitingFrom: next }, options);
      }
      options.metrics?.publishStoredMetrics();
    }
    return { batchItemFailures: next === undefined ? [] : [{ itemIdentifier: next }] };
  };
}

/** The state-write fence: this invocation must still own the batch it is about to write state for. */
async function ensureStillPending(checkpoints: DynamoDbCheckpointStore, batch: PlannedBatch): Promise<void> {
  const current = await checkpoints.load();
  if (current?.pending?.batchId !== batch.batchId) {
    throw new CheckpointConflictError(
      `Batch ${batch.batchId} is no longer pending (pending ${current?.pending?.batchId ?? 'none'}); another invocation took over, so this one stops before writing state.`,
      { batchId: batch.batchId },
    );
  }
}

function checkPartitioning(query: QueryDefinition, singleShard: boolean): void {
  if (singleShard) return;
  let stateful = false;
  walkPlan(query.plan, (node) => {
    if (isStateful(node)) stateful = true;
  });
  if (!stateful) return;
  const undeclared = sourcesOf(query)
    .filter((source) => source.partitionKey === undefined)
    .map((source) => source.name);
  if (undeclared.length > 0) throw new PartitioningNotDeclaredError(query.name, undeclared);
}
