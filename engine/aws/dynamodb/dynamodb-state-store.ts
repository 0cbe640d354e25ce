import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { StateStoreMisuseError } from '../../errors.js';
import type { StateEntry, StateLimits, StateStore, StateWrite } from '../../state/state-store.js';
import { byExpiryThenKey } from '../../state/state-store.js';
import type { BatchId } from '../../types.js';
import { StateTooLargeError } from '../errors.js';
import { batchDeleteAll, batchGetAll, batchWriteAll } from './batch-requests.js';
import { clearSpentIndexEntries, type IndexedItem, spentIndexEntries } from './expiry-index-upkeep.js';
import { dynamoSize, MAX_ITEM_BYTES } from './item-size.js';
import { TABLE_LAYOUT } from './table-layout.js';

/** A state item as stored (see `table-layout.ts`). */
interface StateItem {
  pk: string;
  sk: string;
  v: number;
  hc?: 1;
  c?: unknown;
  ce?: number;
  hp?: 1;
  p?: unknown;
  pe?: number;
  x?: number;
  ttl?: number;
  fv: number;
}

export interface DynamoDbStateStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Tombstones are removed by DynamoDB TTL after this long. @default 7 days */
  readonly tombstoneTtlSeconds?: number;
  /** Clock for tombstone TTLs (not for semantics). @default Date.now */
  readonly nowMs?: () => number;
}

const DEFAULT_TOMBSTONE_TTL_SECONDS = 7 * 24 * 3600;

/**
 * The {@link StateStore} on DynamoDB: one item per group key with its current and previous
 * version (the batch-id contract of `state-store.ts`). Reads are strongly consistent; reads and
 * writes go in batches (100 keys per BatchGetItem, 25 items per BatchWriteItem, in parallel);
 * expiry is a range query on the `byExpiry` local secondary index, never a scan.
 * Deletes are tombstones (so a replay still sees the previous version); the first expiry scan of a
 * later batch that meets one deletes it ({@link clearSpent}), and TTL removes any left over.
 */
export class DynamoDbStateStore implements StateStore {
  /**
   * The sort key (the encoded group key) holds at most 1,024 bytes; an item holds a group's
   * current and previous versions in 400 KB, so one version gets a bit under half of it.
   */
  readonly limits: StateLimits = { maxKeyBytes: 1024, maxEntryBytes: 190 * 1024 };
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly tombstoneTtlSeconds: number;
  private readonly nowMs: () => number;

  constructor(options: DynamoDbStateStoreOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.tombstoneTtlSeconds = options.tombstoneTtlSeconds ?? DEFAULT_TOMBSTONE_TTL_SECONDS;
    this.nowMs = options.nowMs ?? Date.now;
  }

  async getMany(
    namespace: string,
    keys: readonly string[],
    batchId: BatchId,
  ): Promise<Map<string, StateEntry>> {
    const pk = partitionKeyOf(namespace);
    const items = (await batchGetAll(
      this.client,
      this.tableName,
      keys.map((sk) => ({ pk, sk })),
    )) as unknown as StateItem[];
    const found = new Map<string, StateEntry>();
    for (const item of items) {
      const entry = asOf(item, batchId, namespace);
      if (entry !== undefined) found.set(item.sk, entry);
    }
    return found;
  }

  async expiring(namespace: string, bound: number, batchId: BatchId): Promise<Array<[string, StateEntry]>> {
    const items = await this.queryAll({
      IndexName: TABLE_LAYOUT.expiryIndex,
      KeyConditionExpression: 'pk = :pk AND x <= :bound',
      ExpressionAttributeValues: { ':pk': partitionKeyOf(namespace), ':bound': bound },
    });
    const result: Array<[string, StateEntry]> = [];
    for (const item of items) {
      const entry = asOf(item, batchId, namespace);
      if (entry?.expiresAt !== undefined && entry.expiresAt <= bound) result.push([item.sk, entry]);
    }
    await this.clearSpent(
      spentIndexEntries(items, batchId, (item) => item.ce !== undefined && item.ce <= bound),
    );
    return result.sort(byExpiryThenKey);
  }

  /**
   * Drops what this scan met that no later scan needs (engine/aws/dynamodb/expiry-index-upkeep.ts):
   * without it, tombstones and superseded expiries stayed in the index until their TTL or next
   * write and every scan re-read them, so read units grew with uptime. The bench overrides this
   * with a no-op to measure the old behaviour side by side.
   */
  protected async clearSpent(spent: { tombstones: IndexedItem[]; stale: IndexedItem[] }): Promise<void> {
    await clearSpentIndexEntries(this.client, this.tableName, spent);
  }

  async entries(namespace: string, batchId: BatchId): Promise<Array<[string, StateEntry]>> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': partitionKeyOf(namespace) },
    });
    const result: Array<[string, StateEntry]> = [];
    for (const item of items) {
      const entry = asOf(item, batchId, namespace);
      if (entry !== undefined) result.push([item.sk, entry]);
    }
    return result.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  async write(namespace: string, batchId: BatchId, writes: readonly StateWrite[]): Promise<void> {
    if (writes.length === 0) return;
    const pk = partitionKeyOf(namespace);
    const items = writes.map((write) => this.toItem(pk, namespace, batchId, write));
    await batchWriteAll(this.client, this.tableName, items as unknown as Record<string, unknown>[]);
  }

  async drop(namespace: string): Promise<void> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': partitionKeyOf(namespace) },
      ProjectionExpression: 'pk, sk',
    });
    await batchDeleteAll(
      this.client,
      this.tableName,
      items.map((item) => ({ pk: item.pk, sk: item.sk })),
    );
  }

  private toItem(
    pk: string,
    namespace: string,
    batchId: BatchId,
    { key, entry, base }: StateWrite,
  ): StateItem {
    const item: StateItem = { pk, sk: key, v: batchId, fv: TABLE_LAYOUT.formatVersion };
    if (entry !== undefined) {
      item.hc = 1;
      item.c = entry.value;
      if (entry.expiresAt !== undefined) item.ce = entry.expiresAt;
    } else {
      item.ttl = Math.floor(this.nowMs() / 1000) + this.tombstoneTtlSeconds;
    }
    if (base !== undefined) {
      item.hp = 1;
      item.p = base.value;
      if (base.expiresAt !== undefined) item.pe = base.expiresAt;
    }
    const expiries = [item.ce, item.pe].filter((t): t is number => t !== undefined);
    if (expiries.length > 0) item.x = Math.min(...expiries);
    const bytes = dynamoSize(item);
    if (bytes > MAX_ITEM_BYTES) throw new StateTooLargeError(namespace, key, bytes, MAX_ITEM_BYTES);
    return item;
  }

  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<StateItem[]> {
    const items: StateItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          ...input,
          TableName: this.tableName,
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) items.push(item as StateItem);
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return items;
  }
}

const partitionKeyOf = (namespace: string): string => `S#${namespace}`;

/** The version of an item visible to batch N: `v == N ? prev : cur`. */
function asOf(item: StateItem, batchId: BatchId, namespace: string): StateEntry | undefined {
  if (item.v > batchId) {
    throw new StateStoreMisuseError(
      `Batch ${batchId} read state key '${item.sk}' in '${namespace}' already written by later batch ${item.v}.`,
      { namespace, key: item.sk, batchId, storedVersion: item.v },
    );
  }
  if (item.v === batchId) {
    if (item.hp !== 1) return undefined;
    return item.pe === undefined ? { value: item.p ?? null } : { value: item.p ?? null, expiresAt: item.pe };
  }
  if (item.hc !== 1) return undefined;
  return item.ce === undefined ? { value: item.c ?? null } : { value: item.c ?? null, expiresAt: item.ce };
}
