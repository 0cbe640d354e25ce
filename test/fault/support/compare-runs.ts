import { isDeepStrictEqual } from 'node:util';
import type { StateBackend } from '../../../engine/aws/lambda/kinesis-handler.js';
import type { PlannedBatch, QueryDefinition } from '../../../engine/index.js';
import type { BatchRecorder } from './batch-recorder.js';
import type { FaultEnv } from './fault-env.js';
import { type BatchOutput, canonical, readCheckpoint, readOutputs, readState } from './observed-results.js';
import type { ShardFeed } from './shard-feed.js';

/** A run to compare: its query (whose name isolates its state and outputs) and what its hooks saw. */
export interface ComparedRun {
  readonly query: QueryDefinition;
  readonly prefix: string;
  readonly recorder: BatchRecorder;
  readonly state: StateBackend;
}

/** The plan fields a replay and the reference must agree on (batch ids and processing time may differ). */
const planOf = (batch: PlannedBatch) => ({
  startOffsets: batch.startOffsets,
  endOffsets: batch.endOffsets,
  watermarkForLateEventsMs: batch.watermarkForLateEventsMs,
  watermarkForEvictionMs: batch.watermarkForEvictionMs,
  isFirstBatch: batch.isFirstBatch,
  isNoDataBatch: batch.isNoDataBatch,
});

/**
 * The exactly-once check: the faulty run must equal the fault-free run with the same batch
 * boundaries. Returns every difference found (empty when they agree):
 * 1. the faulty run's batches chain (each starts where the previous ended, the last ends at the
 *    shard's last data record) and the reference planned the same batches with the same watermarks;
 * 2. manifested batches are exactly the committed ones, and batch by batch (aligned by order)
 *    hold the same rows and dead letters, compared as sorted multisets without batch ids;
 * 3. the current state of every key of every stateful operator (value and expiry) is the same;
 * 4. the final commits hold the same offsets, watermarks and state row counts.
 */
export async function compareRuns(
  env: FaultEnv,
  feeds: readonly ShardFeed[],
  faulty: ComparedRun,
  reference: ComparedRun,
): Promise<string[]> {
  const problems: string[] = [...faulty.recorder.conflicts.map((conflict) => `faulty run: ${conflict}`)];
  const [faultyOutputs, referenceOutputs] = await Promise.all([
    readOutputs(env, faulty.query.name, faulty.prefix),
    readOutputs(env, reference.query.name, reference.prefix),
  ]);
  const committedIds = faulty.recorder.batchIds;
  const manifested = [...faultyOutputs.keys()].sort((a, b) => a - b);
  if (!isDeepStrictEqual(manifested, committedIds)) {
    problems.push(`manifested batches [${manifested}] are not the committed batches [${committedIds}]`);
  }
  for (const feed of feeds) {
    const shard = feed.shardId;
    const ours = faulty.recorder.batchesOf(shard);
    const theirs = reference.recorder.batchesOf(shard);
    problems.push(...chainProblems(feed, ours));
    if (ours.length !== theirs.length) {
      problems.push(
        `${shard}: the faulty run committed ${ours.length} batches, the reference ${theirs.length}:\n` +
          `  faulty    ${ours.map(describeBatch).join(' ')}\n  reference ${theirs.map(describeBatch).join(' ')}`,
      );
    }
    for (let i = 0; i < Math.min(ours.length, theirs.length); i++) {
      const mine = ours[i]!;
      const ref = theirs[i]!;
      if (!isDeepStrictEqual(planOf(mine), planOf(ref))) {
        problems.push(
          `${shard} batch #${i}: plans differ: faulty ${canonical(planOf(mine))} reference ${canonical(planOf(ref))}`,
        );
      }
      problems.push(
        ...outputProblems(
          `${shard} batch #${i} (faulty ${mine.batchId}, reference ${ref.batchId})`,
          faultyOutputs.get(mine.batchId),
          referenceOutputs.get(ref.batchId),
        ),
      );
    }
    const [ourState, theirState] = await Promise.all([
      readState(env, faulty, shard),
      readState(env, reference, shard),
    ]);
    problems.push(...mapProblems(`${shard} state`, ourState, theirState));
    const [ourCheckpoint, theirCheckpoint] = await Promise.all([
      readCheckpoint(env, faulty.query.name, shard),
      readCheckpoint(env, reference.query.name, shard),
    ]);
    if (ourCheckpoint?.pending !== undefined)
      problems.push(`${shard}: batch ${ourCheckpoint.pending.batchId} is still pending`);
    const finalOf = (checkpoint: typeof ourCheckpoint) => {
      const committed = checkpoint?.committed;
      return (
        committed && {
          endOffsets: committed.endOffsets,
          watermark: committed.watermark,
          batchWatermarkMs: committed.batchWatermarkMs,
          stateRows: committed.stateRows,
        }
      );
    };
    if (!isDeepStrictEqual(finalOf(ourCheckpoint), finalOf(theirCheckpoint))) {
      problems.push(
        `${shard}: final commits differ: faulty ${canonical(finalOf(ourCheckpoint))} reference ${canonical(finalOf(theirCheckpoint))}`,
      );
    }
  }
  return problems;
}

function describeBatch(batch: PlannedBatch): string {
  if (batch.isNoDataBatch) return `${batch.batchId}:nodata`;
  const end = batch.endOffsets.kinesis as { count: number } | undefined;
  return `${batch.batchId}:${end?.count ?? '?'}rec`;
}

/** The faulty run's batches must cover the shard's data records once each, in order. */
function chainProblems(feed: ShardFeed, batches: readonly PlannedBatch[]): string[] {
  const problems: string[] = [];
  let previousEnd: PlannedBatch['endOffsets'] = {};
  for (const batch of batches) {
    if (!isDeepStrictEqual(batch.startOffsets, previousEnd)) {
      problems.push(
        `${feed.shardId}: batch ${batch.batchId} starts at ${canonical(batch.startOffsets)}, not where the previous batch ended (${canonical(previousEnd)})`,
      );
    }
    previousEnd = batch.endOffsets;
  }
  const lastEnd = batches.length === 0 ? -1 : feed.endIndexOf(batches.at(-1)!);
  if (lastEnd !== feed.lastDataIndex) {
    problems.push(
      `${feed.shardId}: the committed batches end at record ${lastEnd}, the last data record is ${feed.lastDataIndex}`,
    );
  }
  return problems;
}

function outputProblems(
  what: string,
  ours: BatchOutput | undefined,
  theirs: BatchOutput | undefined,
): string[] {
  if (ours === undefined || theirs === undefined) {
    return [`${what}: manifest missing in the ${ours === undefined ? 'faulty run' : 'reference'}`];
  }
  return [
    ...multisetProblems(`${what} rows`, ours.rows, theirs.rows),
    ...multisetProblems(`${what} dead letters`, ours.deadLetters, theirs.deadLetters),
  ];
}

function multisetProblems(what: string, ours: readonly string[], theirs: readonly string[]): string[] {
  if (isDeepStrictEqual(ours, theirs)) return [];
  const remaining = [...theirs];
  const extra: string[] = [];
  for (const item of ours) {
    const at = remaining.indexOf(item);
    if (at >= 0) remaining.splice(at, 1);
    else extra.push(item);
  }
  return [
    `${what} differ (${ours.length} vs ${theirs.length})` +
      (extra.length > 0 ? `\n    only in the faulty run: ${extra.slice(0, 5).join(' ')}` : '') +
      (remaining.length > 0 ? `\n    only in the reference: ${remaining.slice(0, 5).join(' ')}` : ''),
  ];
}

function mapProblems(
  what: string,
  ours: ReadonlyMap<string, string>,
  theirs: ReadonlyMap<string, string>,
): string[] {
  const problems: string[] = [];
  for (const key of new Set([...ours.keys(), ...theirs.keys()])) {
    if (ours.get(key) !== theirs.get(key)) {
      problems.push(
        `${what} of ${key}: faulty ${ours.get(key) ?? '(none)'} reference ${theirs.get(key) ?? '(none)'}`,
      );
    }
  }
  return problems;
}
