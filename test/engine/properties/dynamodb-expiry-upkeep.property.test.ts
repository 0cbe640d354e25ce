/**
 * The DynamoDB state store's expiry scans delete the tombstones and re-index the superseded
 * expiries they meet (engine/aws/dynamodb/expiry-index-upkeep.ts), so later scans never read them
 * again. This property checks, on dynalite, that the upkeep never changes what a read returns:
 * over random histories in the engine's order (batch ids never go back; a batch may read before
 * and after some of its own writes landed, as its replay does), every `expiring` and `getMany`
 * equals a naive versioned map that keeps everything.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateTable, DynamoDbStateStore } from '../../../engine/aws/dynamodb/index.js';
import type { StateEntry, StateWrite } from '../../../engine/state/state-store.js';
import { type Emulators, startEmulators } from '../../../local/emulators/index.js';

interface NaiveItem {
  v: number;
  cur: StateEntry | undefined;
  prev: StateEntry | undefined;
}

type Step =
  | { kind: 'write'; newBatch: boolean; writes: Array<{ key: string; entry: StateEntry | undefined }> }
  | { kind: 'expiring'; bound: number; newBatch: boolean };

const KEYS = ['a', 'b', 'c', 'd', 'e'];

const entryArbitrary: fc.Arbitrary<StateEntry | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.record({ value: fc.nat(9) }),
  fc.record({ value: fc.nat(9), expiresAt: fc.integer({ min: 0, max: 30 }) }),
);

const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('write' as const),
    newBatch: fc.boolean(),
    writes: fc.uniqueArray(fc.record({ key: fc.constantFrom(...KEYS), entry: entryArbitrary }), {
      selector: (w) => w.key,
      maxLength: 3,
    }),
  }),
  fc.record({
    kind: fc.constant('expiring' as const),
    bound: fc.integer({ min: -1, max: 31 }),
    newBatch: fc.boolean(),
  }),
);

const readAsOf = (item: NaiveItem | undefined, batchId: number) =>
  item === undefined || item.v > batchId ? undefined : item.v === batchId ? item.prev : item.cur;

let emulators: Emulators;
const tableName = 'upkeep-property';
let run = 0;

beforeAll(async () => {
  emulators = await startEmulators();
  await createStateTable(emulators.clients.dynamodb, tableName);
});
afterAll(async () => {
  await emulators?.stop();
});

describe('DynamoDbStateStore expiry-index upkeep', () => {
  it('never changes what a read returns, whatever the history', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { maxLength: 16 }), async (steps) => {
        const store = new DynamoDbStateStore({ client: emulators.clients.documents, tableName });
        const ns = `q#op#run-${run++}`;
        const naive = new Map<string, NaiveItem>();
        let batch = 1;
        for (const step of steps) {
          if (step.newBatch) batch += 1;
          if (step.kind === 'write') {
            const writes: StateWrite[] = step.writes.map(({ key, entry }) => ({
              key,
              entry,
              base: readAsOf(naive.get(key), batch),
            }));
            await store.write(ns, batch, writes);
            for (const { key, entry, base } of writes) naive.set(key, { v: batch, cur: entry, prev: base });
            continue;
          }
          const expected = [...naive]
            .map(([key, item]) => [key, readAsOf(item, batch)] as const)
            .filter(([, entry]) => entry?.expiresAt !== undefined && entry.expiresAt <= step.bound)
            .sort(([ka, a], [kb, b]) => a!.expiresAt! - b!.expiresAt! || (ka < kb ? -1 : ka > kb ? 1 : 0));
          expect(await store.expiring(ns, step.bound, batch)).toEqual(expected);
          const present = new Map(
            KEYS.flatMap((key) => {
              const entry = readAsOf(naive.get(key), batch);
              return entry === undefined ? [] : [[key, entry] as const];
            }),
          );
          expect(await store.getMany(ns, KEYS, batch)).toEqual(present);
        }
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
