import { partitionOfKey } from './routing.js';

/**
 * Hash buckets: the exchange's unit of routing. A row's routing key picks one of
 * {@link EXCHANGE_BUCKETS} buckets, and a bucket stands for one 128-bit hash key (the middle of
 * its 1/256 of the hash space), the `ExplicitHashKey` its records are put with. Whatever the
 * internal stream's shards are, a bucket lies in exactly one open shard, so every row of a group
 * reaches the shard that holds the group's state, before and after a split or merge, and a child
 * shard adopts exactly the groups whose bucket hash key lies in its range. Records pack the rows
 * of one bucket (never rows of two buckets that a later reshard could separate), so packing is
 * independent of the shard map. 256 buckets: shard boundaries of 2, 4, … 256 uniform shards fall
 * on bucket boundaries; more shards than buckets would leave some without rows.
 */
export const EXCHANGE_BUCKETS = 256;

const BUCKET_BITS = 120n; // 128 − log2(256)

/** The bucket of a routing key (FNV-1a, stable across releases: it is part of the format). */
export function bucketOfKey(routeKey: string): number {
  return partitionOfKey(routeKey, EXCHANGE_BUCKETS);
}

/** The 128-bit hash key a bucket's records are routed by: the middle of the bucket's range. */
export function bucketHashKey(bucket: number): bigint {
  return (BigInt(bucket) << BUCKET_BITS) + (1n << (BUCKET_BITS - 1n));
}
