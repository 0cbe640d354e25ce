import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectList, count, sum } from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

interface Event {
  key: string;
  v: number;
  bad?: boolean;
}

/** Sums per key; `map` throws for rows marked bad (a user function that cannot handle them). */
function sumsWithPoison() {
  const input = new MemoryStream<Event>('events');
  const query = input
    .toStream()
    .map((row) => {
      if (row.bad) throw new Error(`cannot handle ${row.key}/${row.v}`);
      return row;
    })
    .groupBy('key')
    .agg({ n: count(), total: sum('v') })
    .writeStream.outputMode('update')
    .build();
  return { input, query };
}

/** Poison isolation on (the test kit leaves it off by default). */
const on = { execution: { poisonIsolation: {} } } as const;

const byKey = (rows: readonly Record<string, unknown>[]) =>
  Object.fromEntries(rows.map((row) => [row.key as string, [row.n, row.total]]));

describe('poison isolation', () => {
  it('sets aside the row a user function throws on and commits the rest of the batch', async () => {
    const { input, query } = sumsWithPoison();
    const test = new StreamTest(query, [input], on);
    input.addData({ key: 'a', v: 1 }, { key: 'b', v: 2 }, { key: 'a', v: 3, bad: true }, { key: 'a', v: 4 });
    const output = await test.processAllAvailable();
    expect(byKey(output)).toEqual({ a: [2, 5], b: [1, 2] });
    expect(test.deadLetters).toHaveLength(1);
    expect(test.deadLetters[0]).toMatchObject({
      source: 'events',
      operator: 'poison-isolation',
      row: { key: 'a', v: 3, bad: true },
    });
    expect(test.deadLetters[0]!.reason).toMatch(/^poison: Error: cannot handle a\/3/);
    // The decision is in the WAL entry, so a replay makes it again without probing.
    const plan = test.checkpoints.plans.get(0)!;
    expect(plan.poisoned).toEqual([
      { source: 'events', index: 2, reason: expect.stringContaining('cannot handle a/3') },
    ]);
    const replay = await test.replayLastBatch();
    expect(byKey(replay.output)).toEqual({ a: [2, 5], b: [1, 2] });
    expect(replay.deadLetters.map((d) => d.row)).toEqual([{ key: 'a', v: 3, bad: true }]);
    // The next batch runs normally.
    input.addData({ key: 'b', v: 10 });
    expect(byKey(await test.processAllAvailable())).toEqual({ b: [2, 12] });
  });

  it('finds several poison rows in one batch, in input order', async () => {
    const { input, query } = sumsWithPoison();
    const isolations: number[] = [];
    const test = new StreamTest(query, [input], {
      execution: { poisonIsolation: {}, onIsolation: (report) => isolations.push(report.found) },
    });
    const rows: Event[] = Array.from({ length: 200 }, (_, i) => ({
      key: `k${i % 7}`,
      v: i,
      bad: i % 37 === 5,
    }));
    input.addData(...rows);
    const output = await test.processAllAvailable();
    const good = rows.filter((row) => !row.bad);
    const total = Object.fromEntries(
      [...new Set(good.map((r) => r.key))].map((key) => {
        const mine = good.filter((r) => r.key === key);
        return [key, [mine.length, mine.reduce((s, r) => s + r.v, 0)]];
      }),
    );
    expect(byKey(output)).toEqual(total);
    expect(test.deadLetters.map((d) => (d.row as unknown as Event).v)).toEqual(
      rows.filter((row) => row.bad).map((row) => row.v),
    );
    expect(isolations).toEqual([6]);
  });

  it('turns a group whose state outgrows maxStateBytesPerGroup into dead letters, not a stuck batch', async () => {
    const input = new MemoryStream<{ key: string; page: string }>('clicks');
    const query = input
      .toStream()
      .groupBy('key')
      .agg({ pages: collectList('page') })
      .writeStream.outputMode('update')
      .build();
    const test = new StreamTest(query, [input], {
      execution: { poisonIsolation: {}, maxStateBytesPerGroup: 400 },
    });
    const page = (i: number) => `/page/${String(i).padStart(40, '0')}`;
    input.addData(...Array.from({ length: 12 }, (_, i) => ({ key: 'crawler', page: page(i) })), {
      key: 'human',
      page: '/home',
    });
    const output = await test.processAllAvailable();
    const crawler = output.find((row) => row.key === 'crawler')!;
    const kept = (crawler.pages as string[]).length;
    expect(kept).toBeGreaterThan(3);
    expect(kept).toBeLessThan(12);
    expect(output.find((row) => row.key === 'human')).toEqual({ key: 'human', pages: ['/home'] });
    expect(test.deadLetters).toHaveLength(12 - kept);
    expect(test.deadLetters[0]!.reason).toContain('maxEntryBytes');
    expect(test.deadLetters[0]!.reason).toContain('maxStateBytesPerGroup');
    // Later batches keep committing; the group stays at its bound.
    input.addData({ key: 'crawler', page: page(99) }, { key: 'human', page: '/about' });
    const next = await test.processAllAvailable();
    expect(next.find((row) => row.key === 'human')).toEqual({ key: 'human', pages: ['/home', '/about'] });
    expect(test.deadLetters).toHaveLength(12 - kept + 1);
  });

  it("dead-letters a grouping key longer than the state backend's key limit, naming it", async () => {
    const input = new MemoryStream<{ key: string }>('events');
    const query = input.toStream().groupBy('key').count().writeStream.outputMode('update').build();
    const test = new StreamTest(query, [input], { ...on, stateStore: { limits: { maxKeyBytes: 1024 } } });
    input.addData({ key: 'short' }, { key: 'x'.repeat(2000) }, { key: 'short' });
    const output = await test.processAllAvailable();
    expect(output).toEqual([{ key: 'short', count: 2 }]);
    expect(test.deadLetters).toHaveLength(1);
    expect(test.deadLetters[0]!.reason).toMatch(/maxKeyBytes.*1,024/);
  });

  it('retries instead of isolating when isolation is off or the failure is transient', async () => {
    const { input, query } = sumsWithPoison();
    const off = new StreamTest(query, [input], { execution: { poisonIsolation: false } });
    input.addData({ key: 'a', v: 1, bad: true });
    await expect(off.processAllAvailable()).rejects.toThrow(/cannot handle/);

    const throttled = new MemoryStream<Event>('events');
    let calls = 0;
    const flaky = throttled
      .toStream()
      .map((row) => {
        calls++;
        if (row.v >= 0)
          throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });
        return row;
      })
      .writeStream.outputMode('append')
      .build();
    const test = new StreamTest(flaky, [throttled], on);
    throttled.addData({ key: 'a', v: 1 });
    await expect(test.processAllAvailable()).rejects.toThrow(/Rate exceeded/);
    expect(calls).toBe(1); // no probe ran
    expect(test.checkpoints.plans.get(0)?.poisoned).toBeUndefined();
  });

  it('property: output equals a run without the poison rows, and every row is output or a dead letter', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: fc.constantFrom('a', 'b', 'c'),
            v: fc.integer({ min: 0, max: 9 }),
            bad: fc.boolean(),
          }),
          {
            minLength: 1,
            maxLength: 60,
          },
        ),
        async (rows) => {
          const poisoned = sumsWithPoison();
          const test = new StreamTest(poisoned.query, [poisoned.input], on);
          poisoned.input.addData(...rows);
          const output = byKey(await test.processAllAvailable());

          const clean = sumsWithPoison();
          const reference = new StreamTest(clean.query, [clean.input]);
          clean.input.addData(...rows.filter((row) => !row.bad));
          expect(output).toEqual(byKey(await reference.processAllAvailable()));
          expect(test.deadLetters.map((d) => d.row)).toEqual(rows.filter((row) => row.bad));
          const replay = await test.replayLastBatch();
          expect(byKey(replay.output)).toEqual(output);
        },
      ),
      { numRuns: 60 },
    );
  });
});
