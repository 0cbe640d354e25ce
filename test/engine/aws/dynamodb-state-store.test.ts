import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateTable, DynamoDbStateStore } from '../../../engine/aws/dynamodb/index.js';
import { RequestCounter } from '../../../engine/aws/request-counter.js';
import { type Emulators, startEmulators } from '../../../local/emulators/index.js';
import { stateStoreContract } from '../../support/state-store-contract.js';

let emulators: Emulators;
const tableName = 'sluice-state';
let namespaceSeq = 0;

beforeAll(async () => {
  emulators = await startEmulators();
  await createStateTable(emulators.clients.dynamodb, tableName);
});
afterAll(async () => {
  await emulators?.stop();
});

const storeOn = () => new DynamoDbStateStore({ client: emulators.clients.documents, tableName });

stateStoreContract('DynamoDbStateStore (dynalite)', async () => ({
  store: storeOn(),
  namespace: `q#aggregate-0#shard-${namespaceSeq++}`,
}));

describe('DynamoDbStateStore specifics', () => {
  it('rejects state that would not fit in one item, naming the key and the fix', async () => {
    const store = storeOn();
    const big = 'x'.repeat(250 * 1024);
    const write = store.write('q#op#big', 1, [{ key: '["k"]', entry: { value: big }, base: { value: big } }]);
    await expect(write).rejects.toMatchObject({ code: 'SLUICE_STATE_TOO_LARGE' });
    await expect(write).rejects.toThrow(/\["k"\].*at most/);
  });

  it('uses request counts that grow with distinct keys, not rows: 100 keys per read, 25 per write', async () => {
    const counter = new RequestCounter();
    const client = counter.attach(emulators.clients.documents, 'DynamoDB');
    const store = new DynamoDbStateStore({ client, tableName });
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    counter.take();
    await store.write(
      'q#op#counts',
      1,
      keys.map((key) => ({ key, entry: { value: 1 }, base: undefined })),
    );
    await store.getMany('q#op#counts', keys, 2);
    await store.expiring('q#op#counts', 10, 2);
    expect(counter.take()).toEqual({
      'DynamoDB.BatchWriteItem': 40,
      'DynamoDB.BatchGetItem': 10,
      'DynamoDB.Query': 1,
    });
  });

  it('an expiry scan never meets again what an earlier scan found spent: tombstones and superseded expiries', async () => {
    const counter = new RequestCounter();
    const client = counter.attach(emulators.clients.documents, 'DynamoDB');
    const store = new DynamoDbStateStore({ client, tableName });
    const ns = 'q#op#upkeep';
    const raw = async (sk: string) =>
      (
        await emulators.clients.documents.send(
          new GetCommand({ TableName: tableName, Key: { pk: `S#${ns}`, sk }, ConsistentRead: true }),
        )
      ).Item;
    // Batch 1: windows w1 (ends 10) and w2 (ends 20), a session s (timeout 15).
    await store.write(ns, 1, [
      { key: 'w1', entry: { value: 1, expiresAt: 10 }, base: undefined },
      { key: 'w2', entry: { value: 2, expiresAt: 20 }, base: undefined },
      { key: 's', entry: { value: 's1', expiresAt: 15 }, base: undefined },
    ]);
    // Batch 2 evicts w1 (a tombstone) and extends the session to 40 (its index value stays 15).
    expect((await store.expiring(ns, 10, 2)).map(([key]) => key)).toEqual(['w1']);
    await store.write(ns, 2, [
      { key: 'w1', entry: undefined, base: { value: 1, expiresAt: 10 } },
      { key: 's', entry: { value: 's2', expiresAt: 40 }, base: { value: 's1', expiresAt: 15 } },
    ]);
    // A replay of batch 2 still sees what batch 2 read, and clears nothing it needs.
    expect(await store.expiring(ns, 15, 2)).toEqual([
      ['w1', { value: 1, expiresAt: 10 }],
      ['s', { value: 's1', expiresAt: 15 }],
    ]);
    expect((await raw('w1'))?.x).toBe(10);
    // Batch 3's scan meets both once: the tombstone is deleted, the session re-indexed at 40.
    expect(await store.expiring(ns, 16, 3)).toEqual([]);
    expect(await raw('w1')).toBeUndefined();
    expect((await raw('s'))?.x).toBe(40);
    // Batch 4's scan reads only the live window, where it used to read both again.
    counter.take();
    expect(await store.expiring(ns, 20, 4)).toEqual([['w2', { value: 2, expiresAt: 20 }]]);
    expect(counter.take()).toEqual({ 'DynamoDB.Query': 1 });
    const page = await emulators.clients.documents.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: 'byExpiry',
        KeyConditionExpression: 'pk = :pk AND x <= :bound',
        ExpressionAttributeValues: { ':pk': `S#${ns}`, ':bound': 39 },
        ConsistentRead: true,
      }),
    );
    expect(page.Items?.map((item) => item.sk)).toEqual(['w2']);
    // Reads as of later batches are unchanged by the upkeep.
    expect(await store.getMany(ns, ['w1', 'w2', 's'], 5)).toEqual(
      new Map<string, unknown>([
        ['w2', { value: 2, expiresAt: 20 }],
        ['s', { value: 's2', expiresAt: 40 }],
      ]),
    );
  });
});
