import type { PlannedBatch } from '../../../engine/index.js';
import { invokeStep, type RunContext } from './invoke.js';
import type { ShardFeed } from './shard-feed.js';

/**
 * The fault-free run with the faulty run's batch boundaries: per shard, one invocation per data
 * batch whose event holds exactly that batch's records, allowed to start exactly as many batches
 * as the faulty run committed from there (the data batch and the no-data batches after it: a
 * no-data batch changes which rows the next batch treats as late, so it must be reproduced).
 * Returns problems (an invocation that did not commit its whole event).
 */
export async function runReference(
  reference: RunContext,
  feeds: readonly ShardFeed[],
  committedOf: (shardId: string) => readonly PlannedBatch[],
): Promise<string[]> {
  const problems: string[] = [];
  for (const feed of feeds) {
    const batches = committedOf(feed.shardId);
    let i = 0;
    while (i < batches.length) {
      const batch = batches[i]!;
      if (batch.isNoDataBatch) {
        problems.push(
          `faulty run: no-data batch ${batch.batchId} on ${feed.shardId} has no data batch before it`,
        );
        i++;
        continue;
      }
      let noDataAfter = 0;
      while (batches[i + 1 + noDataAfter]?.isNoDataBatch) noDataAfter++;
      const range = feed.rangeOf(batch);
      const result = await invokeStep(reference, feed, range, {
        faults: [],
        batchesAllowed: 1 + noDataAfter,
      });
      if (result.response.batchItemFailures.length > 0) {
        problems.push(
          `reference invocation of [${range.from}..${range.to}] on ${feed.shardId} left records uncommitted: ${JSON.stringify(result.response.batchItemFailures)}`,
        );
      }
      i += 1 + noDataAfter;
    }
  }
  return problems;
}
