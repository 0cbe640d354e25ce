import { describe, expect, it } from 'vitest';
import type { CommittedBatch, PartitionWatermark } from '../../../engine/index.js';
import { queryWatermark } from '../../../engine/index.js';

const partition = (
  id: string,
  operatorsMs: Record<string, number>,
  batchWatermarkMs = 0,
  parents?: string[],
): PartitionWatermark => ({
  partition: id,
  watermark: { globalMs: 0, operatorsMs },
  batchWatermarkMs,
  ...(parents === undefined ? {} : { parents }),
});

const own = (operatorsMs: Record<string, number>, batchWatermarkMs = 0): CommittedBatch => ({
  batchId: 3,
  endOffsets: {},
  batchTimestampMs: 0,
  batchWatermarkMs,
  watermark: { globalMs: Math.max(0, ...Object.values(operatorsMs)), operatorsMs },
  stateRows: {},
});

const eviction = (input: Parameters<typeof queryWatermark>[0]) => queryWatermark(input).evictionMs;

const base = { partition: 'a', watermarkIds: ['w0'], inputs: 'min' as const };

describe('queryWatermark', () => {
  it('max: the highest event time − delay over all shards, so a quiet shard follows the others', () => {
    const result = eviction({
      ...base,
      own: own({ w0: 1_000 }),
      partitions: [partition('a', { w0: 1_000 }), partition('b', { w0: 9_000 }), partition('c', {})],
      shards: 'max',
    });
    expect(result).toBe(9_000);
  });

  it('min: the slowest shard; a shard that has not seen data holds the watermark at 0', () => {
    const partitions = [partition('b', { w0: 9_000 }), partition('c', { w0: 4_000 })];
    expect(eviction({ ...base, own: own({ w0: 7_000 }), partitions, shards: 'min' })).toBe(4_000);
    expect(
      eviction({
        ...base,
        own: own({ w0: 7_000 }),
        partitions: [...partitions, partition('d', {})],
        shards: 'min',
      }),
    ).toBe(0);
  });

  it('per-shard: only this shard’s own watermark, and no peers needed', () => {
    const result = eviction({
      ...base,
      own: own({ w0: 1_000 }),
      partitions: [partition('b', { w0: 9_000 })],
      shards: 'per-shard',
    });
    expect(result).toBe(1_000);
  });

  it('uses the in-memory commit of this shard over the (possibly older) row read from the store', () => {
    const result = eviction({
      ...base,
      own: own({ w0: 5_000 }),
      partitions: [partition('a', { w0: 1_000 }), partition('b', { w0: 2_000 })],
      shards: 'min',
    });
    expect(result).toBe(2_000);
  });

  it('never goes below a watermark any shard already ran with (nothing closed re-opens)', () => {
    const result = eviction({
      ...base,
      own: own({ w0: 1_000 }),
      partitions: [partition('b', { w0: 2_000 }, 6_000)],
      shards: 'min',
    });
    expect(result).toBe(6_000);
  });

  it('after a reshard, parents named by a child no longer hold a min watermark back', () => {
    const partitions = [
      partition('parent', { w0: 1_000 }, 1_000),
      partition('child', { w0: 5_000 }, 1_000, ['parent']),
      partition('b', { w0: 8_000 }),
    ];
    expect(eviction({ ...base, partition: 'b', own: undefined, partitions, shards: 'min' })).toBe(5_000);
  });

  it('judges late rows by what this shard (or the parent it took over from) already closed', () => {
    const input = { ...base, partition: 'child', shards: 'max' as const };
    const child: CommittedBatch = { ...own({ w0: 1_000 }, 1_000), parents: ['parent'] };
    const partitions = [partition('parent', { w0: 7_000 }, 7_000), partition('b', { w0: 9_000 }, 8_000)];
    expect(queryWatermark({ ...input, own: child, partitions })).toEqual({
      evictionMs: 9_000,
      lateEventsMs: 7_000,
    });
    expect(queryWatermark({ ...input, own: own({ w0: 1_000 }, 1_000), partitions })).toEqual({
      evictionMs: 9_000,
      lateEventsMs: 1_000,
    });
    expect(queryWatermark({ ...input, shards: 'per-shard', own: child, partitions })).toEqual({
      evictionMs: 1_000,
      lateEventsMs: 1_000,
    });
  });

  it('combines several withWatermark inputs per shard first, then by the inputs policy', () => {
    const partitions = [partition('b', { w0: 9_000, w1: 2_000 }), partition('c', { w0: 3_000, w1: 4_000 })];
    const input = { ...base, partition: 'x', own: undefined, partitions, watermarkIds: ['w0', 'w1'] };
    expect(eviction({ ...input, shards: 'max', inputs: 'min' })).toBe(4_000);
    expect(eviction({ ...input, shards: 'max', inputs: 'max' })).toBe(9_000);
    expect(eviction({ ...input, shards: 'min', inputs: 'min' })).toBe(2_000);
  });

  it('is 0 when nothing has been committed anywhere, and the own watermark without watermark operators', () => {
    expect(eviction({ ...base, own: undefined, partitions: [], shards: 'max' })).toBe(0);
    expect(eviction({ ...base, own: own({}), partitions: [], watermarkIds: [], shards: 'max' })).toBe(0);
  });
  it('after a restart (a new run): other runs’ input watermarks are unseen; the first batch keeps what the old run would use next', () => {
    const inRun = (p: PartitionWatermark, runId: string): PartitionWatermark => ({
      ...p,
      watermark: { ...p.watermark, runId },
    });
    const ownIn = (c: CommittedBatch, runId: string): CommittedBatch => ({
      ...c,
      watermark: { ...c.watermark, runId },
    });
    const input = {
      ...base,
      partition: 'a',
      watermarkIds: ['w0', 'w1'],
      shards: 'max' as const,
      runId: 'r2',
    };
    const old = [inRun(partition('b', { w0: 9_000, w1: 5_000 }, 4_000), 'r1')];
    // This partition's first batch of run r2: the old run's next watermark, min(9 s, 5 s) = 5 s.
    const first = ownIn(own({ w0: 8_000, w1: 3_000 }, 3_000), 'r1');
    expect(eviction({ ...input, own: first, partitions: old })).toBe(5_000);
    // Later batches: only r2's values count (w1 unseen in r2 → 0 under min), held by the 4 s floor.
    const later = ownIn(own({ w0: 20_000 }, 5_000), 'r2');
    expect(eviction({ ...input, own: later, partitions: old })).toBe(5_000);
    const peerInRun = [inRun(partition('b', { w1: 12_000 }, 5_000), 'r2')];
    expect(eviction({ ...input, own: later, partitions: peerInRun })).toBe(12_000);
    // Without run ids everything is one run, as before.
    const { runId: _ignored, ...noRun } = input;
    expect(
      eviction({ ...noRun, own: own({ w0: 20_000 }, 5_000), partitions: [partition('b', { w1: 7_000 })] }),
    ).toBe(7_000);
  });
});
