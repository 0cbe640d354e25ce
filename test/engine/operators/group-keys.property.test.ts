/**
 * The aggregation hot path finds a batch's groups through a `GroupIndex` (nested maps) instead
 * of a map keyed by `encodeKey` (JSON) per row. It must group exactly as that map did: two key
 * tuples are one group iff their `JSON.stringify` texts are equal.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GroupIndex } from '../../../engine/operators/aggregate/group-index.js';

/** Key values as rows carry them, plus the awkward ones JSON folds together or writes specially. */
const keyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('a', 'b', '1', 'true', 'null', '', 'é', '"', '\\', '\n', '1970-01-01T00:00:00.000Z'),
  fc.string({ maxLength: 3 }),
  fc.constantFrom(0, -0, 1, 1.5, -2, 1e21, 1704067200000, 1704067260000),
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  fc.boolean(),
  fc.constantFrom(null, undefined),
  fc.constantFrom(new Date(0)),
  fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }),
  fc.record({ x: fc.integer({ min: 0, max: 1 }) }),
  fc.constant({ start: 0, end: 60_000 }),
);

/** Tuples of one length, drawn from few values so that equal keys are common. */
const tuples = (arity: number) =>
  fc.array(fc.array(keyValue, { minLength: arity, maxLength: arity }), { maxLength: 40 });

describe('GroupIndex', () => {
  it('finds a group exactly when an earlier tuple had the same JSON, in any lookup order', () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 3 })
          .chain((arity) =>
            fc.tuple(fc.constant(arity), tuples(arity), fc.shuffledSubarray([0, 1, 2], { minLength: 3 })),
          ),
        ([arity, rows, order]) => {
          const index = new GroupIndex<number>(order.filter((i) => i < arity));
          const reference = new Map<string, number>();
          for (const [i, values] of rows.entries()) {
            const json = JSON.stringify(values);
            const found = index.find(values);
            expect(found).toBe(reference.get(json));
            if (found === undefined) {
              index.insert(i);
              reference.set(json, i);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('throws like JSON.stringify on a bigint key', () => {
    expect(() => new GroupIndex<number>([0]).find([1n])).toThrow(TypeError);
  });
});
