import { describe, expect, it } from 'vitest';
import type { ChangelogVersion } from '../../../../engine/state/changelog/changelog-layout.js';
import { ChangelogStateStore } from '../../../../engine/state/changelog/changelog-state-store.js';
import { HEAP_BYTES_PER_STATE_BYTE } from '../../../../engine/state/changelog/state-memory.js';
import { MemoryStateObjects } from '../../../../engine/state/changelog/state-objects.js';
import type { StateEntry, StateVersion, StateWrite } from '../../../../engine/state/state-store.js';
import { stateStoreContract } from '../../../support/state-store-contract.js';

let seq = 0;
stateStoreContract('ChangelogStateStore (in-memory objects)', async () => ({
  store: new ChangelogStateStore({ objects: new MemoryStateObjects(), query: 'q', isolateValues: true }),
  namespace: `q#aggregate-0#shard-${seq++}`,
}));

const ns = (operator: string, partition = 'shard-0') => `q#${operator}#${partition}`;
const put = (key: string, value: unknown, expiresAt?: number): StateWrite => ({
  key,
  entry: expiresAt === undefined ? { value } : { value, expiresAt },
  base: undefined,
});
const del = (key: string): StateWrite => ({ key, entry: undefined, base: undefined });

/** One batch as the runner drives it: open at the committed version, write, seal. */
async function batch(
  store: ChangelogStateStore,
  committed: StateVersion | undefined,
  batchId: number,
  writes: Record<string, StateWrite[]>,
  partition = 'shard-0',
): Promise<ChangelogVersion> {
  await store.versioning.open(partition, committed, batchId);
  await Promise.all(Object.entries(writes).map(([op, w]) => store.write(ns(op, partition), batchId, w)));
  return (await store.versioning.seal(partition, batchId)) as ChangelogVersion;
}

async function stateAt(store: ChangelogStateStore, operator: string, batchId: number, partition = 'shard-0') {
  return Object.fromEntries(
    (await store.entries(ns(operator, partition), batchId)).map(([key, entry]) => [key, entry]),
  ) as Record<string, StateEntry>;
}

const newStore = (objects: MemoryStateObjects, maxDeltas = 10) =>
  new ChangelogStateStore({ objects, query: 'q', maxDeltas, isolateValues: true });

describe('ChangelogStateStore: versions in object storage', () => {
  it('a cold container loads exactly the committed state: snapshot plus deltas, per operator', async () => {
    const objects = new MemoryStateObjects();
    const store = newStore(objects);
    let v = await batch(store, undefined, 0, {
      agg: [put('a', 1, 100), put('b', { x: [1, 2] })],
      dedup: [put('k', true)],
    });
    v = await batch(store, v, 1, { agg: [put('a', 2, 200), put('c', 3)] });
    v = await batch(store, v, 2, { agg: [del('b')], dedup: [del('k'), put('j', false)] });
    expect(v.operators.agg!.snapshot).toMatch(/^0-/);
    expect(v.operators.agg!.deltas).toHaveLength(2);

    const cold = newStore(objects);
    await cold.versioning.open('shard-0', v, 3);
    expect(await stateAt(cold, 'agg', 3)).toEqual({ a: { value: 2, expiresAt: 200 }, c: { value: 3 } });
    expect(await stateAt(cold, 'dedup', 3)).toEqual({ j: { value: false } });
    expect((await cold.expiring(ns('agg'), 150, 3)).map(([key]) => key)).toEqual([]);
    expect((await cold.expiring(ns('agg'), 250, 3)).map(([key]) => key)).toEqual(['a']);
  });

  it('puts one object per stateful operator per batch, whatever the number of keys', async () => {
    const objects = new MemoryStateObjects();
    const store = newStore(objects);
    let v = await batch(store, undefined, 0, { agg: [put('seed', 0)] });
    for (const keys of [10, 1000, 20_000]) {
      const before = objects.calls.put;
      const writes = Array.from({ length: keys }, (_, i) => put(`k${i}`, i));
      v = await batch(store, v, v.batchId + 1, { agg: writes });
      expect(objects.calls.put - before).toBe(1);
    }
  });

  it('snapshots after maxDeltas deltas, or once the deltas outweigh the snapshot, and loads the same state', async () => {
    const objects = new MemoryStateObjects();
    const store = newStore(objects, 3);
    let v = await batch(
      store,
      undefined,
      0,
      Object.fromEntries([['agg', Array.from({ length: 50 }, (_, i) => put(`k${i}`, i))]]),
    );
    const chains: Array<[string | undefined, number]> = [];
    for (let b = 1; b <= 6; b++) {
      v = await batch(store, v, b, { agg: [put(`k${b}`, b * 100)] });
      chains.push([v.operators.agg!.snapshot, v.operators.agg!.deltas.length]);
    }
    expect(chains.map(([, deltas]) => deltas)).toEqual([1, 2, 0, 1, 2, 0]);
    expect(chains[2]![0]).toMatch(/^3-/);
    const cold = newStore(objects, 3);
    await cold.versioning.open('shard-0', v, 7);
    expect(await stateAt(cold, 'agg', 7)).toEqual(await stateAt(store, 'agg', 7));
  });

  it('never reads the objects of an attempt that did not commit, and deletes them at the next snapshot', async () => {
    const objects = new MemoryStateObjects();
    const ids = ['aaa', 'zzz', 'bbb', 'ccc', 'ddd', 'eee', 'fff', 'ggg'];
    const store = new ChangelogStateStore({
      objects,
      query: 'q',
      maxDeltas: 3,
      newAttemptId: () => ids.shift()!,
    });
    const v0 = await batch(store, undefined, 0, { agg: [put('a', 1)] }); // aaa
    // A zombie's attempt at batch 1 writes after another attempt committed it.
    const zombie = new ChangelogStateStore({ objects, query: 'q', newAttemptId: () => 'zombie' });
    const v1 = await batch(store, v0, 1, { agg: [put('a', 2)] }); // zzz
    await batch(zombie, v0, 1, { agg: [put('a', 666), put('evil', 1)] });
    expect([...objects.objects.keys()].some((key) => key.includes('-zombie.'))).toBe(true);

    const cold = newStore(objects);
    await cold.versioning.open('shard-0', v1, 2);
    expect(await stateAt(cold, 'agg', 2)).toEqual({ a: { value: 2 } });

    let v = v1;
    for (let b = 2; b <= 3; b++) v = await batch(store, v, b, { agg: [put('a', b)] });
    expect(v.operators.agg!.deltas).toEqual([]); // batch 3 wrote a snapshot, and cleaned up
    const left = [...objects.objects.keys()].map((key) => key.split('/').at(-1));
    expect(left.some((name) => name!.includes('zombie'))).toBe(false);
    // The previous committed chain (snapshot 0, deltas 1–2) stays for readers of older versions.
    expect(left).toEqual([
      '00000000000000000000-aaa.snapshot.parquet',
      '00000000000000000001-zzz.delta.parquet',
      '00000000000000000002-bbb.delta.parquet',
      '00000000000000000003-ccc.snapshot.parquet',
    ]);
  });
});

describe('ChangelogStateStore: the warm cache', () => {
  it('reuses the cache when the commit names the version this container sealed: no object reads', async () => {
    const objects = new MemoryStateObjects();
    const store = newStore(objects);
    let v = await batch(store, undefined, 0, { agg: [put('a', 1)] });
    const gets = objects.calls.get;
    for (let b = 1; b < 5; b++) v = await batch(store, v, b, { agg: [put('a', b + 1)] });
    expect(objects.calls.get).toBe(gets);
    expect(store.isCached('shard-0', v)).toBe(false); // sealed, not yet confirmed by an open
    await store.versioning.open('shard-0', v, 5);
    expect(store.isCached('shard-0', v)).toBe(true);
    expect(await stateAt(store, 'agg', 5)).toEqual({ a: { value: 5 } });
  });

  it('reports the bytes a batch read (0 from a warm cache) and wrote, and the stored state size', async () => {
    const objects = new MemoryStateObjects();
    const store = newStore(objects);
    const v0 = await batch(store, undefined, 0, { agg: [put('a', 'x'.repeat(1000))] });
    const written = store.bytesOf('shard-0');
    expect(written.read).toBe(0);
    expect(written.written).toBeGreaterThan(0);
    expect(written.total).toBe(written.written);
    const cold = newStore(objects);
    await cold.versioning.open('shard-0', v0, 1);
    expect(cold.versioning.metrics!('shard-0')).toEqual({
      read: written.written,
      written: 0,
      total: written.total,
      // The loaded state's heap, estimated: key 'a' + the JSON string value + 8, × 6.
      memory: (1 + 1002 + 8) * HEAP_BYTES_PER_STATE_BYTE,
    });
    await cold.write(ns('agg'), 1, [put('b', 1)]);
    await cold.versioning.seal('shard-0', 1);
    const after = cold.bytesOf('shard-0');
    expect(after.total).toBe(written.total + after.written);
  });

  it('reloads when another container committed since (a stale cache)', async () => {
    const objects = new MemoryStateObjects();
    const mine = newStore(objects);
    const theirs = newStore(objects);
    const v0 = await batch(mine, undefined, 0, { agg: [put('a', 1)] });
    await mine.versioning.open('shard-0', v0, 1); // warm at v0
    // Another container runs batches 1 and 2.
    let v = await batch(theirs, v0, 1, { agg: [put('a', 2)] });
    v = await batch(theirs, v, 2, { agg: [put('b', 3)] });
    const gets = objects.calls.get;
    await mine.versioning.open('shard-0', v, 3);
    expect(objects.calls.get).toBeGreaterThan(gets);
    expect(await stateAt(mine, 'agg', 3)).toEqual({ a: { value: 2 }, b: { value: 3 } });
  });

  it('a failed attempt does not poison the cache: the next open is the committed state, not the attempt', async () => {
    const objects = new MemoryStateObjects();
    const store = newStore(objects);
    const v0 = await batch(store, undefined, 0, { agg: [put('a', 1)] });
    // Batch 1's attempt writes and seals, but its commit fails (say, a zombie won with other data).
    await batch(store, v0, 1, { agg: [put('a', 999), put('ghost', 1)] });
    // The checkpoint still names v0: the replay of batch 1 must read v0's state.
    await store.versioning.open('shard-0', v0, 1);
    expect(await stateAt(store, 'agg', 1)).toEqual({ a: { value: 1 } });
    expect(await stateAt(store, 'agg', 2)).toEqual({ a: { value: 1 } });
    expect(store.isCached('shard-0', v0)).toBe(true);
  });

  it('an attempt that failed before sealing leaves no trace either', async () => {
    const objects = new MemoryStateObjects();
    const store = newStore(objects);
    const v0 = await batch(store, undefined, 0, { agg: [put('a', 1)] });
    await store.versioning.open('shard-0', v0, 1);
    await store.write(ns('agg'), 1, [put('a', 5)]); // then the container "crashes"
    await store.versioning.open('shard-0', v0, 1);
    expect(await stateAt(store, 'agg', 2)).toEqual({ a: { value: 1 } });
  });

  it('keeps at most maxCachedPartitions partitions, dropping the least recently opened', async () => {
    const objects = new MemoryStateObjects();
    const store = new ChangelogStateStore({ objects, query: 'q', maxCachedPartitions: 2 });
    const versions = [];
    for (const shard of ['s1', 's2', 's3'])
      versions.push(await batch(store, undefined, 0, { agg: [put(shard, 1)] }, shard));
    for (const [i, shard] of ['s1', 's2', 's3'].entries()) await store.versioning.open(shard, versions[i], 1);
    expect(store.isCached('s1', versions[0])).toBe(false);
    expect(store.isCached('s2', versions[1])).toBe(true);
    expect(store.isCached('s3', versions[2])).toBe(true);
  });

  it('refuses a state version another backend wrote, naming the fix', async () => {
    const store = newStore(new MemoryStateObjects());
    await expect(store.versioning.open('shard-0', { something: 'else' }, 1)).rejects.toThrow(
      /state backends/,
    );
  });
});
