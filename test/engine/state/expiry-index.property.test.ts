import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../../engine/index.js';
import type { StateEntry, StateWrite } from '../../../engine/state/state-store.js';
import { StateView } from '../../../engine/state/state-view.js';

const NS = 'q#op#0';

/** One batch: per key, a new expiry (`null`: no expiry, `'delete'`: remove the key). */
const batchArb = fc.array(
  fc.tuple(
    fc.integer({ min: 0, max: 11 }),
    fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constant(null), fc.constant('delete' as const)),
  ),
  { maxLength: 8 },
);

interface Model {
  v: number;
  cur: StateEntry | undefined;
  prev: StateEntry | undefined;
}

/** The reference: every key's versions, read as of a batch the way the contract says. */
function bruteForce(model: Map<string, Model>, bound: number, batchId: number): Array<[string, number]> {
  const found: Array<[string, number]> = [];
  for (const [key, item] of model) {
    const entry = item.v === batchId ? item.prev : item.cur;
    if (entry?.expiresAt !== undefined && entry.expiresAt <= bound) found.push([key, entry.expiresAt]);
  }
  return found.sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

async function fill(store: MemoryStateStore, batches: Array<Array<[number, number | null | 'delete']>>) {
  const model = new Map<string, Model>();
  for (let batchId = 0; batchId < batches.length; batchId++) {
    const writes: StateWrite[] = [];
    const seen = new Set<string>();
    for (const [k, expiry] of batches[batchId]!) {
      const key = `k${k}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const base = model.get(key)?.cur;
      const entry =
        expiry === 'delete'
          ? undefined
          : expiry === null
            ? { value: batchId }
            : { value: batchId, expiresAt: expiry };
      if (entry === undefined && base === undefined) continue;
      writes.push({ key, entry, base });
      model.set(key, { v: batchId, cur: entry, prev: base });
    }
    await store.write(NS, batchId, writes);
  }
  return model;
}

describe('the in-memory expiry index', () => {
  it('finds exactly what a scan of every key finds, as of the latest batch (a replay) and the next', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(batchArb, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: -1, max: 9 }),
        fc.integer({ min: 1, max: 4 }),
        async (batches, bound, pageSize) => {
          const store = new MemoryStateStore({ isolateValues: false });
          const model = await fill(store, batches);
          for (const batchId of [batches.length - 1, batches.length]) {
            const expected = bruteForce(model, bound, batchId);
            const found = await store.expiring(NS, bound, batchId);
            expect(found.map(([key, entry]) => [key, entry.expiresAt])).toEqual(expected);
            // Pages of any size, resumed after the last entry, add up to the same list.
            const paged: Array<[string, number]> = [];
            let after: { expiresAt: number; key: string } | undefined;
            for (;;) {
              const page = await store.expiringPage(NS, bound, batchId, after, pageSize);
              for (const [key, entry] of page) paged.push([key, entry.expiresAt!]);
              if (page.length < pageSize) break;
              after = { expiresAt: page.at(-1)![1].expiresAt!, key: page.at(-1)![0] };
            }
            expect(paged).toEqual(expected);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('paged eviction deletes and visits what expiring-then-delete does, this batch’s writes included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(batchArb, { minLength: 1, maxLength: 6 }),
        batchArb,
        fc.integer({ min: -1, max: 9 }),
        fc.integer({ min: 1, max: 3 }),
        async (batches, current, bound, pageSize) => {
          const runs = await Promise.all(
            ['scan', 'pages'].map(async (how) => {
              const store = new MemoryStateStore({ isolateValues: false });
              await fill(store, batches);
              const batchId = batches.length;
              const view = new StateView<number>(store, NS, batchId);
              // Some of this batch's writes before the eviction (the overlay).
              const keys = [...new Set(current.map(([k]) => `k${k}`))];
              await view.load(keys);
              current.forEach(([k, expiry], i) => {
                if (expiry === 'delete') view.delete(`k${k}`);
                else view.set(`k${k}`, 100 + i, expiry ?? undefined);
              });
              const visited: string[] = [];
              if (how === 'scan') {
                for (const [key, entry] of await view.expiring(bound)) {
                  visited.push(`${key}@${entry.expiresAt}`);
                  view.delete(key);
                }
              } else {
                await view.evict(bound, (key, entry) => visited.push(`${key}@${entry.expiresAt}`), pageSize);
              }
              const writes = view
                .writes()
                .map((w) => `${w.key}:${JSON.stringify(w.entry)}<-${JSON.stringify(w.base)}`)
                .sort();
              return { visited, writes };
            }),
          );
          expect(runs[1]).toEqual(runs[0]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps at most two listings per key however often expiries change', async () => {
    const store = new MemoryStateStore({ isolateValues: false });
    let base: StateEntry | undefined;
    for (let batchId = 0; batchId < 200; batchId++) {
      const entry = { value: batchId, expiresAt: batchId * 10 };
      await store.write(NS, batchId, [{ key: 'k', entry, base }]);
      base = entry;
    }
    // biome-ignore lint/complexity/useLiteralKeys: a private field, read by the test only
    const index = (store as unknown as { indexes: Map<string, { size: number }> })['indexes'].get(NS)!;
    expect(index.size).toBe(2);
    await store.write(NS, 200, [{ key: 'k', entry: undefined, base }]);
    await store.write(NS, 201, []);
    expect(index.size).toBe(0);
  });
});
