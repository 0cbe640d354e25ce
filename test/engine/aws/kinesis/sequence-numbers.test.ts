import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareSequenceNumbers,
  inRange,
  isAfter,
  isSequenceNumber,
  maxSequenceNumber,
  sortBySequenceNumber,
} from '../../../../engine/aws/kinesis/index.js';
import {
  firstIndexAfter,
  firstIndexAtOrAfter,
  orderBySequenceNumber,
} from '../../../../engine/aws/kinesis/sequence-numbers.js';

// Real sequence numbers: a 56-digit one and longer/shorter ones of other stream generations.
const short = '4954';
const s56 = '49590338271490256608559692538361571095921575989136588898';
const s56next = '49590338271490256608559692538361571095921575989136588899';
const s57 = '100000000000000000000000000000000000000000000000000000000';

describe('Kinesis sequence numbers', () => {
  it('compare numerically, not as strings or doubles', () => {
    expect(compareSequenceNumbers('9', '10')).toBeLessThan(0); // '9' > '10' as strings
    expect(compareSequenceNumbers(s57, s56)).toBeGreaterThan(0); // '1…' < '4…' as strings
    expect(compareSequenceNumbers(s56, s56next)).toBeLessThan(0); // equal as doubles
    expect(Number(s56)).toBe(Number(s56next));
    expect(compareSequenceNumbers(s56, s56)).toBe(0);
    expect(maxSequenceNumber(s57, short)).toBe(s57);
    expect(maxSequenceNumber(short, s56)).toBe(s56);
  });

  it('tell ranges apart: (after, upTo]', () => {
    expect(isAfter(s56next, s56)).toBe(true);
    expect(isAfter(s56, s56)).toBe(false);
    expect(isAfter(short, undefined)).toBe(true);
    expect(inRange(s56, undefined, s56)).toBe(true);
    expect(inRange(s56, s56, s57)).toBe(false);
    expect(inRange(s57, s56, s56next)).toBe(false);
    expect(inRange(s56next, s56, s57)).toBe(true);
  });

  it('sort by value and drop duplicates of the same number', () => {
    const items = [s57, short, s56next, s56, short, '10', '9'].map((seq, i) => ({ seq, i }));
    expect(sortBySequenceNumber(items, (item) => item.seq)).toEqual([
      { seq: '9', i: 6 },
      { seq: '10', i: 5 },
      { seq: short, i: 1 },
      { seq: s56, i: 3 },
      { seq: s56next, i: 2 },
      { seq: s57, i: 0 },
    ]);
  });

  it('are decimal digit strings without leading zeros', () => {
    expect([s56, '0', short].every(isSequenceNumber)).toBe(true);
    for (const bad of ['', '01', '1.5', '-1', 'abc', 12, undefined, '1'.repeat(129)]) {
      expect(isSequenceNumber(bad), String(bad)).toBe(false);
    }
  });
});

describe('sequence-number order without BigInt parsing', () => {
  // Canonical decimal strings of 1 to 60 digits, often sharing long prefixes as real ones do.
  const canonical = fc.oneof(
    fc.bigInt({ min: 0n, max: 10n ** 60n }).map((n) => n.toString()),
    fc.bigInt({ min: 0n, max: 999n }).map((n) => (BigInt(s56) + n).toString()),
  );

  it('orders exactly as BigInt does', () => {
    fc.assert(
      fc.property(canonical, canonical, (a, b) => {
        const expected = BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
        expect(Math.sign(compareSequenceNumbers(a, b))).toBe(expected);
        expect(isAfter(a, b)).toBe(BigInt(a) > BigInt(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('finds range bounds by binary search as a BigInt filter would', () => {
    fc.assert(
      fc.property(fc.array(canonical, { maxLength: 40 }), canonical, (items, bound) => {
        const { items: ordered, keys } = orderBySequenceNumber(items, (item) => item);
        const reference = [...new Set(items)].sort((x, y) => (BigInt(x) < BigInt(y) ? -1 : 1));
        expect(ordered).toEqual(reference);
        expect(keys).toEqual(reference);
        expect(ordered.slice(firstIndexAfter(keys, bound))).toEqual(
          reference.filter((seq) => BigInt(seq) > BigInt(bound)),
        );
        expect(ordered.slice(firstIndexAtOrAfter(keys, bound))).toEqual(
          reference.filter((seq) => BigInt(seq) >= BigInt(bound)),
        );
      }),
      { numRuns: 1000 },
    );
  });
});
