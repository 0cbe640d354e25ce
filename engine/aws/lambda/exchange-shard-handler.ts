import type { CommittedBatch, PlannedBatch } from '../../checkpoint/checkpoint-store.js';
import { CheckpointConflictError } from '../../errors.js';
import { adoptExchangePartition } from '../../exchange/adopt-partition.js';
import { ExchangeError } from '../../exchange/errors.js';
import { type ExchangeOffset, ExchangeReader } from '../../exchange/exchange-reader.js';
import { finalStage, type StagedQuery } from '../../plan/exchange/plan-stages.js';
import type { Adoption } from '../../reshard/adopt-parent-state.js';
import type { StreamShards } from '../../reshard/lineage.js';
import { retireAncestors } from '../../reshard/retire-ancestors.js';
import { compileQuery } from '../../runtime/compile.js';
import type { QueryProgress } from '../../runtime/progress.js';
import { StreamExecution } from '../../runtime/stream-execution.js';
import { systemClock } from '../../time/clock.js';
import { DynamoDbCheckpointStore } from '../dynamodb/dynamodb-checkpoint-store.js';
import type { KinesisExchange } from '../exchange/kinesis-exchange.js';
import { fromLambdaRecord, shardIdOf, sourcesOf } from '../kinesis/index.js';
import { RequestCounter } from '../request-counter.js';
import { bindSink } from '../s3/bind-sink.js';
import { inferredColumnTypes } from '../s3/table-columns.js';
import { keyColumnsOf } from '../s3/upsert.js';
import { containerStores } from './container-stores.js';
import { firstUncommitted } from './first-uncommitted.js';
import {
  reportBatch,
  reportExchangeTrim,
  reportFailure,
  reportIsolation,
  reportStall,
} from './invocation-metrics.js';
import type { KinesisHandler, KinesisHandlerOptions } from './kinesis-handler.js';

const DEFAULT_RESERVE_MS = 10_000;

/**
 * Stage 2 on Lambda: each invocation runs the micro-batch protocol for one shard of the internal
 * stream, with its own checkpoint (the query's name, partition = the internal shard id) and the
 * query's state and sink (docs/architecture.md, "The exchange protocol").
 * ```
 * execution = StreamExecution(stage 2, source = ExchangeReader(internal shard), state, checkpoint, S3 sink)
 * no checkpoint yet and the shard has parents (a split or merge) → adopt first (adoptExchangePartition)
 * loop while time remains: runNextBatch()   // cuts batches at end-of-batch markers, applies each origin batch once
 * adopted → retire the ancestors every child of which has taken over
 * drained → batchItemFailures = []
 * else    → [first event record after the committed position] (Lambda redelivers, the next invocation resumes)
 * ```
 * The reader reads the internal shard itself (GetRecords from its checkpoint), so the event's
 * records only wake it up: records of an origin batch whose marker has not arrived are re-read
 * when it does, and an event Lambda gives up on loses nothing (the next one reads from the
 * checkpoint). Its watermark is the markers' max event time, combined across the internal shards
 * by the query's `shardWatermark` policy through their checkpoints, as for any query. Lambda runs a
 * child shard only after its parents' records were all delivered, so their last commits are final
 * when it adopts (a parent's pending batch is replayed first).
 */
export function exchangeShardHandler(
  staged: StagedQuery,
  options: KinesisHandlerOptions,
  transport: () => Promise<KinesisExchange>,
): KinesisHandler {
  const query = finalStage(staged).query;
  const spec = staged.exchange!;
  // Stage 2 reads every stage 1's exchange from one internal shard; offsets live under the first's name.
  const inputs = staged.exchanges.map((exchange) => exchange.name);
  const exchangeName = spec.name;
  const requests = new RequestCounter();
  requests.attach(options.clients.dynamodb, 'DynamoDB');
  requests.attach(options.clients.s3, 'S3');
  // Built once per container: the changelog store's memory is the warm cache of the next invocations.
  const { location, stateStore, progressWriter } = containerStores(options, query.name);
  // The whole query's output schema fixes the file sink's types, as in stage 1's handler.
  const columnTypes = { ...inferredColumnTypes(staged.query), ...options.columnTypes };
  const timestampColumns = [
    ...(options.timestampColumns ?? []),
    ...sourcesOf(staged.query).flatMap((source) =>
      source.eventTime === undefined ? [] : [source.eventTime],
    ),
  ];
  const reserveMs = options.reserveMs ?? DEFAULT_RESERVE_MS;
  const clock = options.clock ?? systemClock;
  const plan = compileQuery(query);
  let kinesisCounted = false;
  const checkpointsOf = (partition: string) =>
    new DynamoDbCheckpointStore({
      client: options.clients.dynamodb,
      tableName: options.tableName,
      query: query.name,
      partition,
    });
  /** One internal shard's execution: its checkpoint, the query's state and sink. */
  const executionOf = (
    exchange: KinesisExchange,
    shardId: string,
    adopt?: () => Promise<CommittedBatch | undefined>,
  ) => {
    const checkpoints = checkpointsOf(shardId);
    return new StreamExecution({
      query,
      source: new ExchangeReader(exchange, inputs, shardId),
      stateStore,
      checkpoints,
      sink: bindSink(query.sink, {
        ...location,
        shard: shardId,
        outputMode: query.outputMode,
        timestampColumns,
        columnTypes,
        keyColumns: options.keyColumns ?? keyColumnsOf(query.plan),
      }),
      clock,
      partition: shardId,
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

  return async (event, context) => {
    const records = event.Records;
    if (records.length === 0) return { batchItemFailures: [] };
    const shardId = shardIdOf(records[0]!);
    const exchange = await transport();
    if (!kinesisCounted) {
      requests.attach(options.clients.kinesis, 'Kinesis');
      kinesisCounted = true;
    }
    let adopted: { adoption: Adoption; partitions: StreamShards } | undefined;
    const execution = executionOf(exchange, shardId, async () => {
      const partitions = await exchange.partitions();
      const adoption = await adoptExchangePartition({
        query,
        plan,
        spec,
        partition: shardId,
        partitions,
        stateStore,
        checkpointsOf,
        finishPending: async (ancestor) => {
          await executionOf(exchange, ancestor).runNextBatch();
        },
      });
      if (adoption !== undefined) adopted = { adoption, partitions };
      return adoption?.committed;
    });
    requests.take();
    let committedBatches = 0;
    let drained = false;
    let next: string | undefined;
    try {
      while (context.getRemainingTimeInMillis() >= reserveMs) {
        const outcome = await execution.runNextBatch();
        if (outcome === undefined) {
          drained = true;
          break;
        }
        committedBatches++;
        const progress: QueryProgress = { ...outcome.progress, requests: requests.take() };
        await progressWriter.write(progress);
        reportBatch(progress, options);
      }
      // The child's checkpoint now exists: ancestors every one of whose children took over are retired.
      if (adopted !== undefined && execution.lastCheckpoint !== undefined) {
        await retireAncestors({
          query,
          plan,
          shards: adopted.partitions,
          contributors: adopted.adoption.contributors,
          stateStore,
          checkpointsOf,
        });
      }
    } catch (error) {
      // Records lost past the retention (SLUICE_EXCHANGE_GAP): counted with the input gaps.
      if (error instanceof ExchangeError && error.code === 'SLUICE_EXCHANGE_GAP') {
        reportExchangeTrim({ query: query.name, shardId, ...error.context }, true, options);
      }
      reportFailure(error, { query: query.name, shardId }, options);
    } finally {
      const offset = execution.lastCheckpoint?.committed?.endOffsets[exchangeName] as
        | ExchangeOffset
        | undefined;
      next = drained ? undefined : firstUncommitted(records.map(fromLambdaRecord), offset?.pos);
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
