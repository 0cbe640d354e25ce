import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nestingProblem } from '../../../../engine/aws/kinesis/edge-limits.js';

/** Reference: the nesting depth of a JSON value (a scalar is 0, `{}` and `[]` are 1). */
function depthOf(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('nestingProblem', () => {
  it('flags exactly the values nested deeper than the limit', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.integer({ min: 0, max: 7 }), (value, max) => {
        expect(nestingProblem(value, max) !== undefined).toBe(depthOf(value) > max);
      }),
      { numRuns: 2_000 },
    );
  });

  it('names the limit and the fix', () => {
    const deep = { a: { b: { c: 1 } } };
    expect(nestingProblem(deep, 2)).toMatch(
      /^edge limit maxNestingDepth: the record nests deeper than 2 levels/,
    );
    expect(nestingProblem(deep, 3)).toBeUndefined();
    expect(nestingProblem({ flat: 1, list: 'x' }, 1)).toBeUndefined();
    expect(nestingProblem({ flat: 1 }, 0)).toBeDefined();
  });
});
