import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BatchId } from '../../types.js';
import { AwsRequestError } from '../errors.js';
import { batchDeleteAll, inParallel } from './batch-requests.js';
import { TABLE_LAYOUT } from './table-layout.js';

/** What the upkeep needs of a state item (see `table-layout.ts`). */
export interface IndexedItem {
  readonly pk: string;
  readonly sk: string;
  readonly v: BatchId;
  readonly hc?: 1;
  readonly ce?: number;
  readonly x?: number;
}

/**
 * Keeps the `byExpiry` index down to what later scans need. An item's index value is
 * `x = min(ce, pe)` so that a replay of the batch that wrote it (`v`), which reads the previous
 * version, still finds `pe`. Once a later batch scans, that replay can no longer happen (a batch
 * reads state only after every earlier batch of its partition committed), so `pe` is dead weight:
 *
 * - a tombstone (no current version) reads as absent for every later batch: delete the item;
 * - a live item whose current expiry is later than `x` (a session extended, a timer pushed out)
 *   would be met again by every scan until rewritten: set `x = ce` (or remove `x` when the
 *   current version has no expiry).
 *
 * Each such item is thus read by at most one scan after its batch, instead of by every scan until
 * its TTL or next write: expiry scans stop growing with uptime. Both writes are idempotent, so a
 * crash after them changes nothing for the replay (the items read the same as of this batch).
 */
export function spentIndexEntries(
  items: readonly IndexedItem[],
  batchId: BatchId,
  isExpiring: (item: IndexedItem) => boolean,
): { tombstones: IndexedItem[]; stale: IndexedItem[] } {
  const tombstones: IndexedItem[] = [];
  const stale: IndexedItem[] = [];
  for (const item of items) {
    if (item.v >= batchId || isExpiring(item)) continue;
    if (item.hc !== 1) tombstones.push(item);
    else if (item.x !== item.ce) stale.push(item);
  }
  return { tombstones, stale };
}

/** Deletes tombstones (BatchWriteItem) and re-indexes stale items (one conditional update each). */
export async function clearSpentIndexEntries(
  client: DynamoDBDocumentClient,
  tableName: string,
  spent: { readonly tombstones: readonly IndexedItem[]; readonly stale: readonly IndexedItem[] },
): Promise<void> {
  await batchDeleteAll(
    client,
    tableName,
    spent.tombstones.map(({ pk, sk }) => ({ pk, sk })),
  );
  await inParallel(spent.stale, async (item) => {
    const hasExpiry = item.ce !== undefined;
    try {
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: item.pk, sk: item.sk },
          UpdateExpression: hasExpiry ? 'SET #x = :ce' : 'REMOVE #x',
          // Only the version that was read: a newer write of the key keeps its own index value.
          ConditionExpression: '#v = :v',
          ExpressionAttributeNames: { '#x': TABLE_LAYOUT.expiryAttribute, '#v': 'v' },
          ExpressionAttributeValues: { ':v': item.v, ...(hasExpiry ? { ':ce': item.ce } : {}) },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw new AwsRequestError('UpdateItem(expiry index)', error);
    }
  });
}
