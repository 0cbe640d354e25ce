import { describe, expect, it } from 'vitest';
import {
  ManualClock,
  MemoryCheckpointStore,
  readStream,
  StateTooLargeError,
  StreamExecution,
} from '../../../../engine/index.js';
import { ChangelogStateStore } from '../../../../engine/state/changelog/changelog-state-store.js';
import {
  estimateStateMemory,
  HEAP_BYTES_PER_STATE_BYTE,
  stateMemoryLimit,
} from '../../../../engine/state/changelog/state-memory.js';
import { MemoryStateObjects } from '../../../../engine/state/changelog/state-objects.js';
import type { StateWrite } from '../../../../engine/state/state-store.js';
import { MemoryBatchSource } from '../../../../engine/testkit/memory-batch-source.js';
import { MemoryStream } from '../../../../engine/testkit/memory-stream.js';

const put = (key: string, value: unknown): StateWrite => ({ key, entry: { value }, base: undefined });

describe('the state-memory limit (S3 changelog state)', () => {
  it('estimates the heap from live groups and a sample, and reports it with the state bytes', async () => {
    const store = new ChangelogStateStore({ objects: new MemoryStateObjects(), query: 'q' });
    await store.versioning.open('s', undefined, 0);
    // key 'k00000' (6) + value '{"n":0}'-like JSON: every group the same size.
    const writes = Array.from({ length: 1000 }, (_, i) => put(`k${String(i).padStart(5, '0')}`, { n: 1 }));
    await store.write('q#agg#s', 0, writes);
    await store.versioning.seal('s', 0);
    const perGroup = (6 + JSON.stringify({ n: 1 }).length + 8) * HEAP_BYTES_PER_STATE_BYTE;
    expect(store.versioning.metrics!('s').memory).toBe(1000 * perGroup);
    // Deleting half the groups halves it at the next batch.
    await store.versioning.open('s', await store.versioning.seal('s', 0), 1);
    await store.write(
      'q#agg#s',
      1,
      writes.slice(0, 500).map((w) => ({ key: w.key, entry: undefined, base: w.entry })),
    );
    await store.versioning.seal('s', 1);
    expect(store.versioning.metrics!('s').memory).toBe(500 * perGroup);
    expect(estimateStateMemory(0, [])).toBe(0);
  });

  it('refuses to seal a state over the limit, with an error that names the fix', async () => {
    const limit = { bytes: 50_000, source: 'a test limit' };
    const store = new ChangelogStateStore({
      objects: new MemoryStateObjects(),
      query: 'q',
      memoryLimit: limit,
    });
    await store.versioning.open('shard-7', undefined, 0);
    await store.write(
      'q#agg#shard-7',
      0,
      Array.from({ length: 100 }, (_, i) => put(`k${i}`, { n: i })),
    );
    const small = await store.versioning.seal('shard-7', 0); // ~100 × 20 × 6 = 12 kB: fits
    await store.versioning.open('shard-7', small, 1);
    await store.write(
      'q#agg#shard-7',
      1,
      Array.from({ length: 1000 }, (_, i) => put(`j${i}`, { n: i })),
    );
    const error = await store.versioning.seal('shard-7', 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StateTooLargeError);
    const tooLarge = error as StateTooLargeError;
    expect(tooLarge.code).toBe('SLUICE_STATE_TOO_LARGE');
    expect(tooLarge.context).toMatchObject({ partition: 'shard-7', groups: 1100, limitBytes: 50_000 });
    expect(tooLarge.message).toMatch(/shard-7.*1100 groups.*a test limit.*add shards.*memorySize/s);
  });

  it('derives the limit from the function memory and the share', () => {
    expect(stateMemoryLimit(1024)).toEqual({
      bytes: Math.floor(1024 * 2 ** 20 * 0.2),
      source: expect.stringMatching(/20% of the function's 1024 MB/),
    });
    expect(stateMemoryLimit(2048, 0.5).bytes).toBe(1024 * 2 ** 20);
  });

  it('stops the shard before the commit: the checkpoint stays at the last batch that fit', async () => {
    const views = new MemoryStream<{ key: string }>('views');
    const query = readStream<{ key: string }>(views.name, { partitionKey: 'key' })
      .dropDuplicates(['key'])
      .writeStream.queryName('q')
      .outputMode('append')
      .build();
    const checkpoints = new MemoryCheckpointStore();
    const execution = new StreamExecution({
      query,
      source: new MemoryBatchSource([views]),
      stateStore: new ChangelogStateStore({
        objects: new MemoryStateObjects(),
        query: 'q',
        memoryLimit: { bytes: 60_000, source: 'a test limit' },
      }),
      checkpoints,
      sink: { description: 'none', async addBatch() {} },
      clock: new ManualClock(0),
      poisonIsolation: {},
    });
    views.addData(...Array.from({ length: 50 }, (_, i) => ({ key: `a${i}` })));
    await execution.processAllAvailable();
    const committed = checkpoints.peekCommitted()?.batchId;
    expect(committed).toBe(0);
    views.addData(...Array.from({ length: 2000 }, (_, i) => ({ key: `b${i}` })));
    await expect(execution.processAllAvailable()).rejects.toMatchObject({ code: 'SLUICE_STATE_TOO_LARGE' });
    // Not committed, and no row was set aside as poison: the fix is capacity, not data.
    expect(checkpoints.peekCommitted()?.batchId).toBe(0);
  });
});
