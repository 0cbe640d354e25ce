import { WaitTimeoutError } from '../errors.js';
import type { QueryLocation, Target } from '../target/target.js';
import { readCheckpoints, type ShardCheckpoint } from './checkpoints.js';
import { covers, stageLocations } from './query-status.js';
import { listShards, readShardTail } from './shard-tip.js';

/** Options of {@link waitUntilCommitted}. */
export interface WaitOptions {
  readonly timeoutMs: number;
  /** Between checkpoint reads. */
  readonly pollMs: number;
  /**
   * After a batch that moved the watermark, the function usually runs a no-data batch right away
   * (emitting closed windows, firing timeouts); wait this long for it before calling the shard
   * done.
   */
  readonly settleMs: number;
  /** Called after each poll with the shards not done yet (`query/shard`). */
  readonly onPoll?: (behind: readonly string[]) => void;
}

interface Goal {
  readonly query: QueryLocation;
  readonly shard: string;
  /** The last data record in the shard when the wait began. */
  readonly seq: string;
}

/**
 * `status --wait`: blocks until every data record in the queries' streams when it is called is
 * committed. Per shard: the commit covers the shard's last data record (heartbeats aside), no
 * batch is pending, and, if the last batch moved the watermark, the no-data batch that may follow
 * has run (or nothing has changed for `settleMs`). Throws {@link WaitTimeoutError} after
 * `timeoutMs` naming the shards still behind.
 */
export async function waitUntilCommitted(
  target: Target,
  queries: readonly QueryLocation[],
  options: WaitOptions,
): Promise<void> {
  // Stage 2 of a two-stage query reads what stage 1 writes while we wait: first every query (or
  // stage 1), then the stage-2 records stage 1 put by then, in the time left.
  const started = performance.now();
  const staged = await Promise.all(queries.map((query) => stageLocations(target, query)));
  // Stage 1s (or one-stage queries) first; stage 2 is the last location of a two-stage query.
  const firsts = staged.flatMap((stages) => (stages.length === 1 ? stages : stages.slice(0, -1)));
  await waitForStage(target, firsts, options);
  const seconds = staged.flatMap((stages) => (stages.length === 1 ? [] : stages.slice(-1)));
  if (seconds.length === 0) return;
  const left = options.timeoutMs - (performance.now() - started);
  await waitForStage(target, seconds, { ...options, timeoutMs: Math.max(left, options.pollMs) });
}

async function waitForStage(
  target: Target,
  queries: readonly QueryLocation[],
  options: WaitOptions,
): Promise<void> {
  const goals: Goal[] = [];
  for (const query of queries) {
    if (query.stream === undefined) continue;
    const stream = query.stream;
    const checkpoints = await readCheckpoints(target, query);
    for (const shard of await listShards(target, stream)) {
      const committed = checkpoints.find((checkpoint) => checkpoint.shard === shard.shardId)?.committed?.seq;
      const tail = await readShardTail(target, stream, shard.shardId, committed);
      if (tail.lastSeq !== undefined) goals.push({ query, shard: shard.shardId, seq: tail.lastSeq });
    }
  }
  const started = performance.now();
  const lastChange = new Map<string, { fingerprint: string; at: number }>();
  for (;;) {
    const behind: string[] = [];
    const now = performance.now();
    for (const query of queries) {
      const checkpoints = await readCheckpoints(target, query);
      for (const checkpoint of checkpoints) {
        const id = `${query.name}/${checkpoint.shard}`;
        const fingerprint = JSON.stringify([checkpoint.committed?.batchId, checkpoint.pending?.batchId]);
        if (lastChange.get(id)?.fingerprint !== fingerprint) lastChange.set(id, { fingerprint, at: now });
      }
      for (const goal of goals.filter((candidate) => candidate.query === query)) {
        const id = `${query.name}/${goal.shard}`;
        const checkpoint = checkpoints.find((candidate) => candidate.shard === goal.shard);
        const stableMs = now - (lastChange.get(id)?.at ?? now);
        if (!isDone(checkpoint, goal.seq, stableMs, options.settleMs)) behind.push(id);
      }
    }
    options.onPoll?.(behind);
    if (behind.length === 0) return;
    if (performance.now() - started > options.timeoutMs) {
      throw new WaitTimeoutError(Math.round(options.timeoutMs / 1000), `behind: ${behind.join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}

function isDone(
  checkpoint: ShardCheckpoint | undefined,
  seq: string,
  stableMs: number,
  settleMs: number,
): boolean {
  if (checkpoint === undefined || checkpoint.pending !== undefined || !covers(checkpoint, seq)) return false;
  const committed = checkpoint.committed!;
  const watermarkMoved = committed.watermarkMs > committed.batchWatermarkMs;
  return !watermarkMoved || stableMs >= settleMs;
}
