/**
 * The in-memory state store takes shortcuts for speed: `expiring` answers without a scan when it
 * knows nothing can expire, items are updated in place, and tombstones are purged once a later
 * batch writes. This property checks every read (`expiring`, `getMany`, `getEach`, `entries`)
 * against a naive versioned map that keeps everything, over random histories of writes, replays
 * of the latest batch, and reads as of the latest or next batch.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryStateStore } from '../../../engine/state/memory-state-store.js';
import type { StateEntry, StateWrite } from '../../../engine/state/state-store.js';

interface NaiveItem {
  v: number;
  cur: StateEntry | undefined;
  prev: StateEntry | undefined;
}

type Step =
  | { kind: 'write'; sameBatch: boolean; writes: Array<{ key: string; entry: StateEntry | undefined }> }
  | { kind: 'expiring'; bound: number; nextBatch: boolean };

const entryArbitrary: fc.Arbitrary<StateEntry | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.record({ value: fc.nat(9) }),
  fc.record({ value: fc.nat(9), expiresAt: fc.integer({ min: 0, max: 30 }) }),
);

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('write' as const),
    sameBatch: fc.boolean(),
    writes: fc.uniqueArray(
      fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), entry: entryArbitrary }),
      { selector: (w) => w.key, maxLength: 4 },
    ),
  }),
  fc.record({
    kind: fc.constant('expiring' as const),
    bound: fc.integer({ min: -1, max: 31 }),
    nextBatch: fc.boolean(),
  }),
);

const readAsOf = (item: NaiveItem | undefined, batchId: number) =>
  item === undefined ? undefined : item.v === batchId ? item.prev : item.cur;

const KEYS = ['a', 'b', 'c', 'd', 'e', 'f'];

describe('MemoryStateStore reads', () => {
  it('return what a full scan of the versioned items would, whatever was written before', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArbitrary, { maxLength: 25 }),
        fc.boolean(),
        async (steps, isolateValues) => {
          const store = new MemoryStateStore({ isolateValues });
          const naive = new Map<string, NaiveItem>();
          let latest = 0;
          for (const step of steps) {
            if (step.kind === 'write') {
              // A new batch, or the latest batch written again (its replay), as the executor does.
              const batchId = step.sameBatch ? latest : latest + 1;
              const writes: StateWrite[] = step.writes.map(({ key, entry }) => ({
                key,
                entry,
                base: readAsOf(naive.get(key), batchId),
              }));
              await store.write('ns', batchId, writes);
              for (const { key, entry, base } of writes)
                naive.set(key, { v: batchId, cur: entry, prev: base });
              latest = batchId;
              continue;
            }
            const batchId = step.nextBatch ? latest + 1 : latest;
            const expected = [...naive]
              .map(([key, item]) => [key, readAsOf(item, batchId)] as const)
              .filter(([, entry]) => entry?.expiresAt !== undefined && entry.expiresAt <= step.bound)
              .sort(([ka, a], [kb, b]) => a!.expiresAt! - b!.expiresAt! || (ka < kb ? -1 : ka > kb ? 1 : 0));
            expect(await store.expiring('ns', step.bound, batchId)).toEqual(expected);
            const live = [...naive]
              .map(([key, item]) => [key, readAsOf(item, batchId)] as const)
              .filter(([, entry]) => entry !== undefined)
              .sort(([ka], [kb]) => (ka < kb ? -1 : 1));
            expect(await store.entries('ns', batchId)).toEqual(live);
            expect(await store.getMany('ns', KEYS, batchId)).toEqual(new Map(live));
            expect(await store.getEach('ns', KEYS, batchId)).toEqual(
              KEYS.map((key) => readAsOf(naive.get(key), batchId)),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
