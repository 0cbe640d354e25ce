import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BatchId } from '../../types.js';
import { AwsRequestError } from '../errors.js';
import { inParallel } from './batch-requests.js';
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

/**
 * Spent entries one scan clears at most; the rest are met (and cleared) by the next scans. Keeps
 * the upkeep of a mass eviction from stretching one invocation: each clear is its own request.
 */
export const MAX_CLEARED_PER_SCAN = 500;

/**
 * Deletes tombstones and re-indexes stale items, one conditional request each (on the version
 * that was read): a zombie invocation's late upkeep can then never delete or re-index a newer
 * version of the key, which an unconditional BatchWriteItem delete would.
 */
export async function clearSpentIndexEntries(
  client: DynamoDBDocumentClient,
  tableName: string,
  spent: { readonly tombstones: readonly IndexedItem[]; readonly stale: readonly IndexedItem[] },
): Promise<void> {
  const work = [
    ...spent.tombstones.map((item) => ({ item, tombstone: true })),
    ...spent.stale.map((item) => ({ item, tombstone: false })),
  ].slice(0, MAX_CLEARED_PER_SCAN);
  await inParallel(work, async ({ item, tombstone }) => {
    const key = { pk: item.pk, sk: item.sk };
    const names = { '#v': 'v' };
    try {
      if (tombstone) {
        await client.send(
          new DeleteCommand({
            TableName: tableName,
            Key: key,
            ConditionExpression: '#v = :v AND attribute_not_exists(#hc)',
            ExpressionAttributeNames: { ...names, '#hc': 'hc' },
            ExpressionAttributeValues: { ':v': item.v },
          }),
        );
        return;
      }
      const hasExpiry = item.ce !== undefined;
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: key,
          UpdateExpression: hasExpiry ? 'SET #x = :ce' : 'REMOVE #x',
          ConditionExpression: '#v = :v',
          ExpressionAttributeNames: { ...names, '#x': TABLE_LAYOUT.expiryAttribute },
          ExpressionAttributeValues: { ':v': item.v, ...(hasExpiry ? { ':ce': item.ce } : {}) },
        }),
      );
    } catch (error) {
      // A newer version of the key was written meanwhile: it keeps its own index value.
      if (error instanceof ConditionalCheckFailedException) return;
      throw new AwsRequestError(tombstone ? 'DeleteItem(tombstone)' : 'UpdateItem(expiry index)', error);
    }
  });
}
