import { describe, expect, it } from 'vitest';
import { objectsTable, rowsTable, summaryTable } from '../../../cli/state/query-state.js';
import { changesSince, readShardState } from '../../../cli/state/read-chain.js';
import type { ChangelogVersion } from '../../../engine/state/changelog/changelog-layout.js';
import { ChangelogStateStore } from '../../../engine/state/changelog/changelog-state-store.js';
import { MemoryStateObjects } from '../../../engine/state/changelog/state-objects.js';
import type { StateVersion, StateWrite } from '../../../engine/state/state-store.js';

// `sluice state` reads what the store wrote: a real ChangelogStateStore writes the chains (on
// in-memory objects); the reader must rebuild the state a cold container loads, batch by batch.

const put = (key: string, value: unknown, expiresAt?: number): StateWrite => ({
  key,
  entry: expiresAt === undefined ? { value } : { value, expiresAt },
  base: undefined,
});
const del = (key: string): StateWrite => ({ key, entry: undefined, base: undefined });

async function batch(
  store: ChangelogStateStore,
  committed: StateVersion | undefined,
  batchId: number,
  writes: Record<string, StateWrite[]>,
): Promise<ChangelogVersion> {
  await store.versioning.open('shard-0', committed, batchId);
  await Promise.all(Object.entries(writes).map(([op, w]) => store.write(`q#${op}#shard-0`, batchId, w)));
  return (await store.versioning.seal('shard-0', batchId)) as ChangelogVersion;
}

/** 400 groups that keep each snapshot larger than the deltas (so the cadence is by count). */
const FILLER = Array.from({ length: 400 }, (_, i) => put(`f${String(i).padStart(3, '0')}`, i));

/**
 * Batches 0–4 with a snapshot at every 3rd object of the chain: snapshot 0, deltas 1–2, then
 * snapshot 3 and delta 4.
 */
async function history() {
  const objects = new MemoryStateObjects();
  const store = new ChangelogStateStore({ objects, query: 'q', maxDeltas: 3 });
  const versions: ChangelogVersion[] = [];
  let v = await batch(store, undefined, 0, {
    agg: [put('a', 1, 1000), put('b', 1), ...FILLER],
    dedup: [put('k', true)],
  });
  versions.push(v);
  v = await batch(store, v, 1, { agg: [put('a', 2, 1000), put('c', 1)] });
  versions.push(v);
  v = await batch(store, v, 2, { agg: [del('b')] });
  versions.push(v);
  v = await batch(store, v, 3, { agg: [put('d', 4)] });
  versions.push(v);
  v = await batch(store, v, 4, { agg: [put('a', 5, 2000), del('c')] });
  versions.push(v);
  return { objects, store, versions };
}

describe('sluice state: reading the committed chains', () => {
  it('rebuilds each operator’s state from the objects the commit names, as a cold load does', async () => {
    const { objects, versions } = await history();
    const v4 = versions[4]!;
    const states = await readShardState(objects, 'shard-0', v4);
    expect(states.map((s) => s.operator)).toEqual(['agg', 'dedup']);
    const agg = states[0]!;
    expect(Object.fromEntries([...agg.entries].filter(([key]) => !key.startsWith('f')))).toEqual({
      a: { value: 5, expiresAt: 2000 },
      d: { value: 4 },
    });
    expect(agg.objects.map((o) => [o.kind, o.batchId])).toEqual([
      ['snapshot', 3],
      ['delta', 4],
    ]);
    // The chain as the commit names it, object by object, with real sizes.
    const chain = [
      ...(v4.operators.agg!.snapshot === undefined ? [] : [v4.operators.agg!.snapshot]),
      ...v4.operators.agg!.deltas,
    ];
    expect(agg.objects.map((o) => `${o.batchId}-${o.attempt}`)).toEqual(chain);
    expect(agg.objects[0]!.kind).toBe('snapshot');
    const summary = summaryTable(states).rows[0]!;
    expect(summary).toMatchObject({ shard: 'shard-0', operator: 'agg', batch: 4, keys: 402, deltas: 1 });
    expect(summary['snapshot bytes']).toBe(agg.objects[0]!.bytes);
    expect(summary['snapshot bytes']).toBeGreaterThan(0);
    expect(summary.snapshot).toBe(agg.objects[0]!.batchId);
    // Objects of superseded chains still in the folder are counted, never read.
    const listed = await objects.list('_state/shard-0/agg/');
    expect(summary.unreferenced).toBe(listed.length - agg.objects.length);
    expect(
      objectsTable(states)
        .rows.filter((r) => r.operator === 'agg')
        .map((r) => r.kind),
    ).toEqual(agg.objects.map((o) => o.kind));
    expect(rowsTable(states).rows.filter((row) => !String(row.key).startsWith('f'))).toEqual([
      { shard: 'shard-0', operator: 'agg', key: 'a', value: 5, expiresAt: new Date(2000).toISOString() },
      { shard: 'shard-0', operator: 'agg', key: 'd', value: 4, expiresAt: null },
      { shard: 'shard-0', operator: 'dedup', key: 'k', value: true, expiresAt: null },
    ]);
  });

  it('reads an earlier batch the chain covers, and refuses one before its snapshot', async () => {
    const { objects, versions } = await history();
    const v4 = versions[4]!;
    const snapshotBatch = Number(v4.operators.agg!.snapshot!.split('-')[0]);
    const [agg] = await readShardState(objects, 'shard-0', v4, { operator: 'agg', batchId: snapshotBatch });
    const expected = await readShardState(objects, 'shard-0', versions[snapshotBatch]!, { operator: 'agg' });
    expect(Object.fromEntries(agg!.entries)).toEqual(Object.fromEntries(expected[0]!.entries));
    await expect(
      readShardState(objects, 'shard-0', v4, { operator: 'agg', batchId: snapshotBatch - 1 }),
    ).rejects.toThrow(
      new RegExp(`snapshot at batch ${snapshotBatch}.*use a batch from ${snapshotBatch} to 4`),
    );
    await expect(readShardState(objects, 'shard-0', v4, { batchId: 5 })).rejects.toThrow(/at most 4/);
  });

  it('lists the change feed after a batch: sets and deletes, oldest batch first', async () => {
    const { objects, versions } = await history();
    const v4 = versions[4]!;
    const [agg] = await readShardState(objects, 'shard-0', v4, { operator: 'agg' });
    const snapshotBatch = agg!.objects[0]!.batchId;
    const changes = changesSince(agg!, snapshotBatch).map(({ batchId, key, entry }) => [batchId, key, entry]);
    expect(changes).toEqual([
      [4, 'a', { value: 5, expiresAt: 2000 }],
      [4, 'c', undefined],
    ]);
    expect(() => changesSince(agg!, snapshotBatch - 1)).toThrow(/--changes-since/);
  });
});
