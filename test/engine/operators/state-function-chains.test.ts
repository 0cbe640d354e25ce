import { describe, expect, it } from 'vitest';
import type { GroupState } from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

// Chains Spark accepts (UnsupportedOperationsSuite): flatMapGroupsWithState in append mode feeding
// an aggregation in complete or update mode, and a state function feeding dropDuplicates.

interface Click {
  user: string;
  page: string;
}

/** Emits one row per user the first time it is seen (final rows: append). */
function firstVisits(input: MemoryStream<Click>) {
  return input
    .toStream()
    .groupByKey((c) => c.user)
    .flatMapGroupsWithState('append', (user: string, rows: readonly Click[], state: GroupState<boolean>) => {
      if (state.exists) return [];
      state.update(true);
      return [{ user, page: rows[0]!.page }];
    });
}

describe('state functions chained with other stateful operators', () => {
  it('flatMapGroupsWithState(append) → count per landing page in complete mode', async () => {
    const input = new MemoryStream<Click>('clicks');
    const query = firstVisits(input).groupBy('page').count().writeStream.outputMode('complete').build();
    const test = new StreamTest(query, [input]);
    input.addData({ user: 'u1', page: 'home' }, { user: 'u2', page: 'cart' }, { user: 'u1', page: 'cart' });
    const sorted = (rows: readonly Record<string, unknown>[]) =>
      [...rows].sort((a, b) => String(a.page).localeCompare(String(b.page)));
    expect(sorted(await test.processAllAvailable())).toEqual([
      { page: 'cart', count: 1 },
      { page: 'home', count: 1 },
    ]);
    input.addData({ user: 'u1', page: 'home' }, { user: 'u3', page: 'home' });
    expect(sorted(await test.processAllAvailable())).toEqual([
      { page: 'cart', count: 1 },
      { page: 'home', count: 2 },
    ]);
  });

  it('flatMapGroupsWithState(append) → count in update mode: only changed groups', async () => {
    const input = new MemoryStream<Click>('clicks');
    const query = firstVisits(input).groupBy('page').count().writeStream.outputMode('update').build();
    const test = new StreamTest(query, [input]);
    input.addData({ user: 'u1', page: 'home' });
    expect(await test.processAllAvailable()).toEqual([{ page: 'home', count: 1 }]);
    input.addData({ user: 'u2', page: 'cart' }, { user: 'u1', page: 'home' });
    expect(await test.processAllAvailable()).toEqual([{ page: 'cart', count: 1 }]);
  });

  it('flatMapGroupsWithState(update) → dropDuplicates in update mode', async () => {
    const input = new MemoryStream<Click>('clicks');
    const query = input
      .toStream()
      .groupByKey((c) => c.user)
      .flatMapGroupsWithState('update', (user: string, rows: readonly Click[], state: GroupState<number>) => {
        const n = (state.getOption() ?? 0) + rows.length;
        state.update(n);
        return [{ user, tier: n >= 2 ? 'regular' : 'new' }];
      })
      .dropDuplicates(['user', 'tier'])
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input]);
    input.addData({ user: 'u1', page: 'a' });
    expect(await test.processAllAvailable()).toEqual([{ user: 'u1', tier: 'new' }]);
    input.addData({ user: 'u1', page: 'b' });
    expect(await test.processAllAvailable()).toEqual([{ user: 'u1', tier: 'regular' }]);
    input.addData({ user: 'u1', page: 'c' });
    expect(await test.processAllAvailable()).toEqual([]);
  });
});
