import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { partitionHashOf } from '../../../engine/reshard/partition-hash.js';
import { floorsAbove, inheritFloors, LateBounds } from '../../../engine/reshard/watermark-floors.js';

const TOP = (1n << 128n) - 1n;
const HALF = TOP / 2n;
const keys = Array.from({ length: 64 }, (_, i) => `k${i}`);

describe('watermark floors', () => {
  it('a merged child keeps each parent’s late bound for the keys of that parent’s range', () => {
    // Parent A (lower half) was at 20, B (upper half) at 5: the child runs at 5, A's keys at 20.
    const floors = inheritFloors(
      [
        { start: 0n, end: HALF, lateMs: 20 },
        { start: HALF + 1n, end: TOP, lateMs: 5 },
      ],
      5,
    );
    expect(floors).toEqual([{ start: '0', end: HALF.toString(), lateMs: 20 }]);
    const bounds = new LateBounds(5, floors);
    for (const key of keys) expect(bounds.of(key)).toBe(partitionHashOf(key) <= HALF ? 20 : 5);
  });

  it('floors compose over reshards: a parent’s own higher floor survives into its child', () => {
    // Parent at 10 still carrying a floor of 30 over [0, 99] from an earlier merge.
    const floors = inheritFloors(
      [{ start: 0n, end: 199n, lateMs: 10, floors: [{ start: '0', end: '99', lateMs: 30 }] }],
      10,
    );
    expect(floors).toEqual([{ start: '0', end: '99', lateMs: 30 }]);
  });

  it('floors at or below the batch’s own bound are inert and dropped', () => {
    expect(floorsAbove([{ start: '0', end: '9', lateMs: 7 }], 7)).toBeUndefined();
    expect(floorsAbove([{ start: '0', end: '9', lateMs: 8 }], 7)).toHaveLength(1);
    const bounds = new LateBounds(50, [{ start: '0', end: TOP.toString(), lateMs: 40 }]);
    expect(bounds.keyed).toBe(false);
    expect(bounds.of('any')).toBe(50);
  });

  it('a value that is not a partition key gets the highest bound (a visible drop, never a re-open)', () => {
    const bounds = new LateBounds(1, [{ start: '0', end: '5', lateMs: 9 }]);
    expect(bounds.of({ nested: true })).toBe(9);
  });

  it('property: each key’s bound is the max of the base and the parent’s bound over its range, never lower', () => {
    const parent = fc.record({
      cut: fc.bigInt({ min: 1n, max: TOP - 1n }),
      a: fc.nat(1000),
      b: fc.nat(1000),
    });
    fc.assert(
      fc.property(parent, fc.nat(1000), ({ cut, a, b }, base) => {
        const own = Math.min(a, b);
        const floors = inheritFloors(
          [
            { start: 0n, end: cut - 1n, lateMs: a },
            { start: cut, end: TOP, lateMs: b },
          ],
          own,
        );
        const bounds = new LateBounds(Math.max(own, base), floors);
        for (const key of keys) {
          const parentBound = partitionHashOf(key) < cut ? a : b;
          // Never below the key's parent (nothing re-opens), never above what parent or child use.
          expect(bounds.of(key)).toBe(Math.max(parentBound, own, base));
        }
      }),
      { numRuns: 200 },
    );
  });
});
