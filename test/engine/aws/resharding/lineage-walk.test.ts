import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hashKeyOf } from '../../../../engine/aws/resharding/hash-key.js';
import type { ShardLineage, StreamShards } from '../../../../engine/aws/resharding/shard-lineage.js';
import type { CommittedBatch } from '../../../../engine/checkpoint/checkpoint-store.js';
import { MemoryCheckpointStore } from '../../../../engine/checkpoint/memory-checkpoint-store.js';
import { count, MemoryStateStore, readStream, window } from '../../../../engine/index.js';
import { adoptParentState, StateAdoptionError } from '../../../../engine/reshard/adopt-parent-state.js';
import { retireAncestors } from '../../../../engine/reshard/retire-ancestors.js';
import { stateNamespace } from '../../../../engine/runtime/batch-runner.js';
import { compileQuery } from '../../../../engine/runtime/compile.js';
import { ChangelogStateStore } from '../../../../engine/state/changelog/changelog-state-store.js';
import { MemoryStateObjects } from '../../../../engine/state/changelog/state-objects.js';
import type { StateStore } from '../../../../engine/state/state-store.js';

// The lineage walk, pairing, pending ancestors and retirement, on the in-memory stores (the same
// interfaces the DynamoDB and S3 backends implement; the emulator tests cover those end to end).

const query = readStream<{ page: string; ts: number }>('events', {
  eventTime: 'ts',
  schema: z.object({ page: z.string(), ts: z.number() }),
  partitionKey: 'page',
})
  .withWatermark('ts', '10 minutes')
  .groupBy(window('ts', '1 minute'), 'page')
  .agg({ n: count() })
  .writeStream.queryName('q')
  .outputMode('append')
  .format('memory')
  .build();
const plan = compileQuery(query);
const operatorId = plan.statefulOperators[0]!.operatorId;
const TOP = (1n << 128n) - 1n;
const MID = TOP / 2n;
const pages = Array.from({ length: 40 }, (_, i) => `/p${i}`);
const lowPages = pages.filter((page) => hashKeyOf(page) <= MID);
const highPages = pages.filter((page) => hashKeyOf(page) > MID);

const shard = (
  shardId: string,
  start: bigint,
  end: bigint,
  parents: string[] = [],
  closed = false,
): ShardLineage => ({
  shardId,
  parents,
  hashRange: { start, end },
  closed,
});

/** Both kinds of backend: versions per key (memory, like DynamoDB) and versions per commit (S3 changelog). */
const BACKENDS: Array<[string, () => { store: StateStore; has: (namespace: string) => Promise<boolean> }]> = [
  [
    'per-key versions',
    () => {
      const store = new MemoryStateStore();
      return { store, has: async (namespace) => store.has(namespace) };
    },
  ],
  [
    'changelog',
    () => {
      const objects = new MemoryStateObjects();
      const store = new ChangelogStateStore({ objects, query: 'q' });
      return {
        store,
        has: async (namespace) => {
          const [, operator, partition] = namespace.split('#');
          return (
            (await objects.list(`_state/${encodeURIComponent(partition!)}/${encodeURIComponent(operator!)}/`))
              .length > 0
          );
        },
      };
    },
  ],
];

function world(shards: ShardLineage[], backend: (typeof BACKENDS)[number][1]) {
  const { store: state, has } = backend();
  const checkpoints = new Map<string, MemoryCheckpointStore>();
  const checkpointsOf = (id: string) => {
    let store = checkpoints.get(id);
    if (store === undefined) {
      store = new MemoryCheckpointStore();
      checkpoints.set(id, store);
    }
    return store;
  };
  const map: StreamShards = new Map(shards.map((s) => [s.shardId, s]));
  /** Gives `id` a commit at `watermarkMs` holding one window of each of `owned`. */
  const commit = async (id: string, owned: readonly string[], watermarkMs: number, batchId = 3) => {
    await state.versioning?.open(id, undefined, batchId);
    await state.write(
      stateNamespace('q', operatorId, id),
      batchId,
      owned.map((page) => ({
        key: JSON.stringify([0, page]),
        entry: { value: { k: [0, page], a: [1] } },
        base: undefined,
      })),
    );
    const stateVersion = await state.versioning?.seal(id, batchId);
    const committed: CommittedBatch = {
      ...(stateVersion === undefined ? {} : { stateVersion }),
      batchId,
      endOffsets: {},
      batchTimestampMs: 1,
      batchWatermarkMs: watermarkMs,
      watermark: { globalMs: watermarkMs, operatorsMs: {} },
      stateRows: { [operatorId]: owned.length },
    };
    await checkpointsOf(id).initialize('fp', committed);
  };
  const adopt = (shardId: string, finishPending?: (id: string) => Promise<void>) =>
    adoptParentState({
      query,
      plan,
      shardId,
      shards: map,
      stateStore: state,
      checkpointsOf,
      ...(finishPending === undefined ? {} : { finishPending }),
    });
  const pagesOf = async (id: string, version?: CommittedBatch) => {
    await state.versioning?.open(id, version?.stateVersion, 1_000);
    return (await state.entries(stateNamespace('q', operatorId, id), 1_000))
      .map(([, e]) => (e.value as { k: unknown[] }).k[1])
      .sort();
  };
  return { state, has, checkpointsOf, map, commit, adopt, pagesOf };
}

describe.each(BACKENDS)('lineage walk (%s)', (_, backend) => {
  it('pairs each parent with its own commit: the first-listed parent without one does not hide the other', async () => {
    const w = world(
      [shard('L', 0n, MID, [], true), shard('H', MID + 1n, TOP, [], true), shard('M', 0n, TOP, ['L', 'H'])],
      backend,
    );
    await w.commit('H', highPages, 5);
    const adoption = (await w.adopt('M'))!;
    expect(adoption.contributors.map((c) => c.shardId)).toEqual(['H']);
    expect(await w.pagesOf('M', adoption.committed)).toEqual([...highPages].sort());
  });

  it('a parent never invoked hands over its own parent’s groups for its range, recursively', async () => {
    // A split into L and H; H never got a record; L and H merged into M.
    const w = world(
      [
        shard('A', 0n, TOP, [], true),
        shard('L', 0n, MID, ['A'], true),
        shard('H', MID + 1n, TOP, ['A'], true),
        shard('M', 0n, TOP, ['L', 'H']),
      ],
      backend,
    );
    await w.commit('A', pages, 100, 2);
    await w.commit('L', lowPages.slice(0, 3), 300, 4); // L adopted A's low half and moved on
    const adoption = (await w.adopt('M'))!;
    expect(adoption.contributors.map((c) => [c.shardId, c.range.start, c.range.end])).toEqual([
      ['L', 0n, MID],
      ['A', MID + 1n, TOP],
    ]);
    // L's groups, and A's groups of H's range; none of A's low half (L had taken them over).
    expect(await w.pagesOf('M', adoption.committed)).toEqual([...lowPages.slice(0, 3), ...highPages].sort());
    // The child runs at the slower contributor's bound, L's range keeps L's.
    expect(adoption.committed.batchWatermarkMs).toBe(100);
    expect(adoption.committed.watermarkFloors).toEqual([{ start: '0', end: MID.toString(), lateMs: 300 }]);
  });

  it('a pending ancestor is finished by the child, or reported with what is pending and how to recover', async () => {
    const w = world([shard('P', 0n, TOP, [], true), shard('C', 0n, TOP, ['P'])], backend);
    await w.commit('P', pages, 10);
    const planned = {
      batchId: 7,
      startOffsets: {},
      endOffsets: {},
      batchTimestampMs: 2,
      watermarkForLateEventsMs: 10,
      watermarkForEvictionMs: 20,
      isFirstBatch: false,
      isNoDataBatch: true,
    };
    await w.checkpointsOf('P').plan(planned);
    const error = await w.adopt('C').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateAdoptionError);
    expect((error as StateAdoptionError).code).toBe('SLUICE_STATE_ADOPTION');
    expect((error as Error).message).toMatch(/ancestor P has batch 7 \(a no-data batch/);

    const finished: string[] = [];
    const adoption = await w.adopt('C', async (id) => {
      finished.push(id);
      await w.checkpointsOf(id).commit({
        batchId: 7,
        endOffsets: {},
        batchTimestampMs: 2,
        batchWatermarkMs: 20,
        watermark: { globalMs: 20, operatorsMs: {} },
        stateRows: {},
      });
    });
    expect(finished).toEqual(['P']);
    expect(adoption!.committed.batchWatermarkMs).toBe(20);
  });
});

describe.each(BACKENDS)('retiring ancestors (%s)', (_, backend) => {
  it('removes a parent’s checkpoint and state only once every child has adopted (through never-invoked ones)', async () => {
    const w = world(
      [
        shard('A', 0n, TOP, [], true),
        shard('L', 0n, MID, ['A'], true),
        shard('H', MID + 1n, TOP, ['A'], true),
        shard('M', 0n, TOP, ['L', 'H']),
      ],
      backend,
    );
    await w.commit('A', pages, 100, 2);
    // L adopts A's low half; H (never invoked) has no checkpoint and no child with one: A stays.
    const first = (await w.adopt('L'))!;
    await w.checkpointsOf('L').initialize('fp', first.committed);
    const none = await retireAncestors({
      query,
      plan,
      shards: w.map,
      contributors: first.contributors,
      stateStore: w.state,
      checkpointsOf: w.checkpointsOf,
    });
    expect(none).toEqual([]);
    expect(await w.has(stateNamespace('q', operatorId, 'A'))).toBe(true);

    const merged = (await w.adopt('M'))!;
    await w.checkpointsOf('M').initialize('fp', merged.committed);
    const retired = await retireAncestors({
      query,
      plan,
      shards: w.map,
      contributors: merged.contributors,
      stateStore: w.state,
      checkpointsOf: w.checkpointsOf,
    });
    expect(retired.sort()).toEqual(['A', 'L']);
    expect(await w.has(stateNamespace('q', operatorId, 'A'))).toBe(false);
    expect(await w.has(stateNamespace('q', operatorId, 'L'))).toBe(false);
    expect(await w.checkpointsOf('A').load()).toBeUndefined();
    expect(await w.checkpointsOf('L').load()).toBeUndefined();
    // What M adopted is its own copy.
    expect(await w.pagesOf('M', merged.committed)).toEqual([...pages].sort());
  });
});
