/** An open shard: where a heartbeat can land, and the hash key that routes it there. */
export interface OpenShard {
  readonly shardId: string;
  /** The shard's starting hash key, used as the heartbeat's `ExplicitHashKey`. */
  readonly startingHashKey: string;
}

/**
 * The shards that need a heartbeat: open shards whose last committed batch is at least `quietMs`
 * old, or that have never committed (no checkpoint yet). A shard that committed within the last
 * tick is already being driven by data and needs no wake-up.
 *
 * @param lastCommitMs the committed batch's `batchTimestampMs` per shard id (shards absent: never committed)
 */
export function quietShards(
  shards: readonly OpenShard[],
  lastCommitMs: ReadonlyMap<string, number>,
  nowMs: number,
  quietMs: number,
): OpenShard[] {
  return shards.filter((shard) => {
    const committed = lastCommitMs.get(shard.shardId);
    return committed === undefined || nowMs - committed >= quietMs;
  });
}
