import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateTable, DynamoDbCheckpointStore } from '../../../engine/aws/dynamodb/index.js';
import type { CheckpointStore, CommittedBatch, PlannedBatch } from '../../../engine/index.js';
import { MemoryCheckpointTable } from '../../../engine/index.js';
import { type Emulators, startEmulators } from '../../../local/emulators/index.js';

let emulators: Emulators;
const tableName = 'sluice-checkpoints';
let partitionSeq = 0;

beforeAll(async () => {
  emulators = await startEmulators();
  await createStateTable(emulators.clients.dynamodb, tableName);
});
afterAll(async () => {
  await emulators?.stop();
});

const planned = (batchId: number, end: string): PlannedBatch => ({
  batchId,
  startOffsets: {},
  endOffsets: { kinesis: end },
  batchTimestampMs: 1_000 + batchId,
  watermarkForLateEventsMs: 0,
  watermarkForEvictionMs: 5,
  isFirstBatch: batchId === 0,
  isNoDataBatch: false,
});
const committed = (batch: PlannedBatch): CommittedBatch => ({
  batchId: batch.batchId,
  endOffsets: batch.endOffsets,
  batchTimestampMs: batch.batchTimestampMs,
  batchWatermarkMs: batch.watermarkForEvictionMs,
  watermark: { globalMs: 9, operatorsMs: { 'watermark-0': 9 } },
  stateRows: { 'aggregate-0': 3 },
});

function checkpointContract(name: string, makeQuery: () => (partition: string) => CheckpointStore) {
  const make = () => makeQuery()('shardId-000000000000');
  describe(`${name} honours the CheckpointStore contract`, () => {
    it("reads every partition's committed watermarks (and nothing of partitions without a commit)", async () => {
      const shard = makeQuery();
      const [a, b, c] = [shard('shardId-a'), shard('shardId-b'), shard('shardId-c')];
      for (const store of [a, b, c]) await store.initialize('fp');
      expect(await a.partitionWatermarks()).toEqual([]);
      const first = planned(await a.nextBatchId(), '1');
      await a.plan(first);
      await a.commit(committed(first));
      const second = planned(await b.nextBatchId(), '2');
      await b.plan(second);
      await b.commit({
        ...committed(second),
        batchWatermarkMs: 4,
        watermark: { globalMs: 40, operatorsMs: { 'watermark-0': 40 } },
        parents: ['shardId-old'],
      });
      await c.plan(planned(await c.nextBatchId(), '3')); // pending only: not a commit
      const found = await c.partitionWatermarks();
      expect([...found].sort((x, y) => x.partition.localeCompare(y.partition))).toEqual([
        {
          partition: 'shardId-a',
          watermark: { globalMs: 9, operatorsMs: { 'watermark-0': 9 } },
          batchWatermarkMs: 5,
        },
        {
          partition: 'shardId-b',
          watermark: { globalMs: 40, operatorsMs: { 'watermark-0': 40 } },
          batchWatermarkMs: 4,
          parents: ['shardId-old'],
        },
      ]);
    });

    it('plans, commits and reloads', async () => {
      const store = make();
      expect(await store.load()).toBeUndefined();
      await store.initialize('fp');
      const id = await store.nextBatchId();
      const batch = planned(id, '100');
      await store.plan(batch);
      expect((await store.load())?.pending).toEqual(batch);
      await store.commit(committed(batch));
      expect(await store.load()).toEqual({ fingerprint: 'fp', committed: committed(batch) });
    });

    it('never overwrites a pending WAL entry and never plans an id at or below the commit', async () => {
      const store = make();
      await store.initialize('fp');
      const first = planned(await store.nextBatchId(), '1');
      await store.plan(first);
      await expect(store.plan(planned(first.batchId + 1, '2'))).rejects.toMatchObject({
        code: 'SLUICE_CHECKPOINT_CONFLICT',
      });
      await store.commit(committed(first));
      await expect(store.plan(planned(first.batchId, '2'))).rejects.toMatchObject({
        code: 'SLUICE_CHECKPOINT_CONFLICT',
      });
    });

    it("rejects a zombie's late commit and changes nothing", async () => {
      const store = make();
      await store.initialize('fp');
      const batch = planned(await store.nextBatchId(), '7');
      await store.plan(batch);
      await store.commit(committed(batch));
      const before = await store.load();
      // The zombie ran the same batch and commits late; another also tries a batch never planned.
      await expect(store.commit(committed(batch))).rejects.toMatchObject({
        code: 'SLUICE_CHECKPOINT_CONFLICT',
      });
      await expect(store.commit(committed(planned(batch.batchId + 5, '9')))).rejects.toMatchObject({
        code: 'SLUICE_CHECKPOINT_CONFLICT',
      });
      expect(await store.load()).toEqual(before);
    });

    it('keeps the first fingerprint when initialized again', async () => {
      const store = make();
      await store.initialize('first');
      await store.initialize('second');
      expect((await store.load())?.fingerprint).toBe('first');
    });

    it('allocates unique increasing batch ids', async () => {
      const store = make();
      await store.initialize('fp');
      const ids = [await store.nextBatchId(), await store.nextBatchId(), await store.nextBatchId()];
      expect(ids[1]).toBeGreaterThan(ids[0]!);
      expect(ids[2]).toBeGreaterThan(ids[1]!);
    });
  });
}

checkpointContract('MemoryCheckpointStore', () => {
  const table = new MemoryCheckpointTable();
  return (partition) => table.partition(partition);
});
checkpointContract('DynamoDbCheckpointStore (dynalite)', () => {
  const query = `q${partitionSeq++}`;
  return (partition) =>
    new DynamoDbCheckpointStore({ client: emulators.clients.documents, tableName, query, partition });
});

describe('DynamoDbCheckpointStore specifics', () => {
  it('allocates batch ids per query across shards, never reusing one', async () => {
    const make = (partition: string) =>
      new DynamoDbCheckpointStore({
        client: emulators.clients.documents,
        tableName,
        query: 'shared',
        partition,
      });
    const a = make('shardId-a');
    const b = make('shardId-b');
    const ids = await Promise.all([a.nextBatchId(), b.nextBatchId(), a.nextBatchId(), b.nextBatchId()]);
    expect(new Set(ids).size).toBe(4);
    expect([...ids].sort((x, y) => x - y)).toEqual([0, 1, 2, 3]);
  });

  // Fault suite, seed 35 of 'sessions' (and 77 of 'window-update'): two invocations of the same
  // event read the checkpoint; one commits, then the other plans from its stale view and processed
  // the same records again (or ran a second no-data batch with stale watermarks).
  it('rejects a plan derived from a commit that another invocation has since replaced', async () => {
    const options = {
      client: emulators.clients.documents,
      tableName,
      query: `stale-${partitionSeq++}`,
      partition: 'shardId-000000000000',
    };
    const invocation = new DynamoDbCheckpointStore(options);
    const zombie = new DynamoDbCheckpointStore(options);
    await invocation.initialize('fp');
    await invocation.load();
    await zombie.load();
    const first = planned(await invocation.nextBatchId(), '3');
    await invocation.plan(first);
    await invocation.commit(committed(first));
    // The zombie's batch id is higher, so only the commit it was derived from tells it is stale.
    const stale = planned(await zombie.nextBatchId(), '3');
    await expect(zombie.plan(stale)).rejects.toMatchObject({ code: 'SLUICE_CHECKPOINT_CONFLICT' });

    // The same for a no-data batch planned on top of a commit that is no longer the latest.
    await zombie.load();
    const noData = { ...planned(await invocation.nextBatchId(), '3'), isNoDataBatch: true };
    await invocation.load();
    await invocation.plan(noData);
    await invocation.commit(committed(noData));
    const before = await invocation.load();
    await expect(
      zombie.plan({ ...planned(await zombie.nextBatchId(), '3'), isNoDataBatch: true }),
    ).rejects.toMatchObject({ code: 'SLUICE_CHECKPOINT_CONFLICT' });
    expect(await invocation.load()).toEqual(before);

    // Once it has read the new commit, planning on top of it works.
    await zombie.load();
    await zombie.plan(planned(await zombie.nextBatchId(), '4'));
  });
});
