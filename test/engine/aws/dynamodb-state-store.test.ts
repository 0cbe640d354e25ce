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
});
