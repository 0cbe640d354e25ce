import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  count,
  max,
  min,
  type OutputMode,
  type Row,
  sessionWindow,
  type TimeWindow,
} from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

interface Event {
  key: string;
  t: number;
  v: number;
}

/** [key, start, end, count, min v, max v], computed without the operator: sort, then cut at gaps. */
function referenceSessions(events: readonly Event[], gapMs: number): unknown[][] {
  const out: unknown[][] = [];
  for (const key of [...new Set(events.map((e) => e.key))].sort()) {
    const own = events.filter((e) => e.key === key).sort((x, y) => x.t - y.t);
    let open: { start: number; end: number; n: number; lo: number; hi: number } | undefined;
    for (const { t, v } of own) {
      if (open !== undefined && t <= open.end) {
        open.end = t + gapMs;
        open.n++;
        open.lo = Math.min(open.lo, v);
        open.hi = Math.max(open.hi, v);
        continue;
      }
      if (open !== undefined) out.push([key, open.start, open.end, open.n, open.lo, open.hi]);
      open = { start: t, end: t + gapMs, n: 1, lo: v, hi: v };
    }
    if (open !== undefined) out.push([key, open.start, open.end, open.n, open.lo, open.hi]);
  }
  return out;
}

function randomEventsQuery(outputMode: OutputMode, gapMs: number, delayMs: number) {
  const input = new MemoryStream<Event>('events');
  const query = input
    .toStream()
    .withWatermark('t', delayMs)
    .groupBy(sessionWindow('t', gapMs), 'key')
    .agg({ n: count(), lo: min('v'), hi: max('v') })
    .writeStream.outputMode(outputMode)
    .build();
  return { input, test: new StreamTest(query, [input]) };
}

const asReference = (rows: readonly Row[]) =>
  rows.map((row) => {
    const { start, end } = row.session_window as TimeWindow;
    return [row.key, start, end, row.n, row.lo, row.hi];
  });

const event = fc.record({
  key: fc.constantFrom('a', 'b', 'c'),
  t: fc.integer({ min: 0, max: 100 }),
  v: fc.integer({ min: -50, max: 50 }),
});
const batches = fc.array(fc.array(event, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 6 });

describe('session window properties', () => {
  it("complete mode equals sorting each key's times and cutting at gaps, however the input is batched", async () => {
    await fc.assert(
      fc.asyncProperty(batches, fc.integer({ min: 1, max: 15 }), async (split, gapMs) => {
        // A tiny watermark delay: complete mode must ignore it and keep every row.
        const { input, test } = randomEventsQuery('complete', gapMs, 3);
        for (const batch of split) {
          input.addData(...batch);
          await test.processAllAvailable();
        }
        expect(asReference(test.lastOutput())).toEqual(referenceSessions(split.flat(), gapMs));
      }),
    );
  });

  it('append mode emits every session exactly once when the watermark finally passes', async () => {
    await fc.assert(
      fc.asyncProperty(batches, fc.integer({ min: 1, max: 15 }), async (split, gapMs) => {
        // The delay keeps the watermark at 0 until the flush, so no row is late.
        const { input, test } = randomEventsQuery('append', gapMs, 1000);
        for (const batch of split) {
          input.addData(...batch);
          expect(await test.processAllAvailable()).toEqual([]);
        }
        input.addData({ key: 'z', t: 10_000, v: 0 }); // watermark 9 000: every earlier session closes
        await test.processAllAvailable();
        const byKeyAndStart = (x: unknown[], y: unknown[]) =>
          String(x[0]).localeCompare(String(y[0])) || Number(x[1]) - Number(y[1]);
        expect(asReference(test.allOutput()).sort(byKeyAndStart)).toEqual(
          referenceSessions(split.flat(), gapMs),
        );
      }),
    );
  });
});
