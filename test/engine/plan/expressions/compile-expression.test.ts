import { describe, expect, it } from 'vitest';
import { expr } from '../../../../engine/index.js';
import { compileExpression } from '../../../../engine/plan/expressions/compile-expression.js';

const evaluate = (text: string, row: Record<string, unknown> = {}) => compileExpression(expr(text).expr)(row);

const MINUTE = 60_000;

describe('expressions evaluate with Spark SQL semantics', () => {
  it.each<[string, unknown]>([
    // three-valued logic (Spark's truth tables)
    ['true AND NULL', null],
    ['false AND NULL', false],
    ['NULL AND false', false],
    ['true OR NULL', true],
    ['false OR NULL', null],
    ['NOT NULL', null],
    ['NOT false', true],
    // NULL through arithmetic and comparisons; null-safe equality
    ['1 + NULL', null],
    ['NULL = NULL', null],
    ['NULL <=> NULL', true],
    ['1 <=> NULL', false],
    ['2 > 1', true],
    ["'b' > 'a'", true],
    ["'10' = 10", true],
    ["'x' = 10", null],
    // division (non-ANSI: by zero is NULL; / is fractional, DIV integral)
    ['7 / 2', 3.5],
    ['7 / 0', null],
    ['7 DIV 2', 3],
    ['-7 DIV 2', -3],
    ['7 % 0', null],
    ['-7 % 3', -1],
    // IN / BETWEEN with NULLs
    ['1 IN (1, NULL)', true],
    ['2 IN (1, NULL)', null],
    ['2 NOT IN (1, NULL)', null],
    ['2 NOT IN (1, 3)', true],
    ['NULL IN (1)', null],
    ['2 BETWEEN 1 AND 3', true],
    ['3 BETWEEN 1 AND 3', true],
    ['4 NOT BETWEEN 1 AND 3', true],
    ['2 BETWEEN NULL AND 1', false],
    // CASE
    ["CASE WHEN NULL THEN 'a' WHEN 1 < 2 THEN 'b' END", 'b'],
    ["CASE WHEN false THEN 'a' END", null],
    ["CASE 2 WHEN 1 THEN 'one' WHEN 2 THEN 'two' ELSE 'many' END", 'two'],
    ["CASE NULL WHEN NULL THEN 'null' ELSE 'else' END", 'else'],
    // CAST
    ["CAST('42' AS INT)", 42],
    ['CAST(3.9 AS INT)', 3],
    ['CAST(-3.9 AS BIGINT)', -3],
    ["CAST('abc' AS INT)", null],
    ["CAST('yes' AS BOOLEAN)", true],
    ['CAST(1 AS TIMESTAMP)', 1000],
    ["CAST('1970-01-01 00:01:00' AS TIMESTAMP)", MINUTE],
    ["TIMESTAMP '1970-01-01T00:00:02Z'", 2000],
    ['CAST(12 AS STRING)', '12'],
    // strings
    ["upper('ab')", 'AB'],
    ["substring('spark', 2, 3)", 'par'],
    ["substring('spark', -3)", 'ark'],
    ["concat('a', NULL)", null],
    ["concat_ws('-', 'a', NULL, 'b')", 'a-b'],
    ["'a' || 'b'", 'ab'],
    ["'spark' LIKE 's_a%'", true],
    ["'spark' NOT LIKE 'x%'", true],
    ["length('héllo')", 5],
    // numbers
    ['round(2.5)', 3],
    ['round(-2.5)', -3],
    ['round(1.2345, 2)', 1.23],
    ['greatest(1, NULL, 3)', 3],
    ['least(2, 1)', 1],
    ['abs(-2)', 2],
    // NULL handling
    ['coalesce(NULL, NULL, 3)', 3],
    ['nullif(1, 1)', null],
    ["if(1 > 2, 'a', 'b')", 'b'],
    ["nvl(NULL, 'x')", 'x'],
    // time: epoch milliseconds, intervals in milliseconds
    ['INTERVAL 10 MINUTES', 10 * MINUTE],
    ['INTERVAL 90 SECONDS', 90_000],
    ["date_trunc('minute', 125000)", 120_000],
    ["date_trunc('hour', 3 * 3600000 + 5)", 3 * 3_600_000],
    ["date_trunc('month', 40 * 86400000)", Date.UTC(1970, 1, 1)],
    ["date_trunc('bogus', 1)", null],
    ["window(125000, '1 minute')", { start: 120_000, end: 180_000 }],
    ["window_time(window(125000, '1 minute'))", 179_999],
    ['timestamp_millis(5)', 5],
    ['timestamp_seconds(5)', 5000],
    ['unix_seconds(5999)', 5],
    ['hour(3 * 3600000)', 3],
  ])('%s → %j', (text, expected) => {
    expect(evaluate(text)).toEqual(expected);
  });

  it('reads columns, backticked names, struct fields and interval arithmetic on timestamps', () => {
    const row = { ts: 10 * MINUTE, 'page name': 'home', window: { start: 0, end: MINUTE } };
    expect(evaluate('ts + INTERVAL 5 MINUTES', row)).toBe(15 * MINUTE);
    expect(evaluate('`page name`', row)).toBe('home');
    expect(evaluate('window.end - window.start', row)).toBe(MINUTE);
    expect(evaluate('missing IS NULL', row)).toBe(true);
  });

  it('refuses aggregates and non-deterministic functions per row, naming them', () => {
    expect(() => evaluate('sum(x)')).toThrow(/only be used in groupBy\(\.\.\.\)\.agg/);
    expect(() => evaluate('current_timestamp()')).toThrow(/replayed batch/);
  });
});
