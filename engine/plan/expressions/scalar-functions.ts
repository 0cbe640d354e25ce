import { latestWindowStart } from '../../api/windows.js';
import { eventTimeOf } from '../../runtime/event-time.js';
import { parseDuration } from '../../time/duration.js';
import type { Row, TimeWindow } from '../../types.js';
import { ExpressionError } from './errors.js';
import type { Expression } from './expression.js';
import { sqlText } from './sql-text.js';
import { compareValues, formatTimestamp, isNull, parseTimestamp, toNumber } from './values.js';

/** A compiled expression: reads a row, returns a value (`null` for SQL NULL). */
export type Evaluator = (row: Row) => unknown;

interface ScalarFunction {
  readonly minArgs: number;
  readonly maxArgs: number;
  /** Builds the evaluator once, from the compiled arguments (and their trees, for constant arguments). */
  readonly make: (args: readonly Evaluator[], exprs: readonly Expression[], call: string) => Evaluator;
}

/** A function of its arguments that is NULL when any argument is NULL (most of Spark's). */
function strict(arity: number, fn: (...values: any[]) => unknown, maxArgs = arity): ScalarFunction {
  return {
    minArgs: arity,
    maxArgs,
    make: (args) => {
      if (args.length === 1) {
        const [a] = args as [Evaluator];
        return (row) => {
          const x = a(row);
          return isNull(x) ? null : fn(x);
        };
      }
      return (row) => {
        const values = args.map((arg) => arg(row));
        return values.some(isNull) ? null : fn(...values);
      };
    },
  };
}

const str = (value: unknown): string => (typeof value === 'string' ? value : String(value));
const num = (value: unknown): number | null => toNumber(value);
const numeric = (fn: (n: number) => number) => (value: unknown) => {
  const n = num(value);
  if (n === null) return null;
  const out = fn(n);
  return Number.isNaN(out) ? null : out;
};

/** Spark's `round` rounds half away from zero (HALF_UP), unlike `Math.round`. */
function roundHalfUp(value: unknown, scale: unknown = 0): number | null {
  const n = num(value);
  const s = num(scale);
  if (n === null || s === null) return null;
  const factor = 10 ** s;
  return (Math.sign(n) * Math.round(Math.abs(n) * factor)) / factor;
}

/** Spark's 1-based `substring(str, pos, len)`; a negative `pos` counts from the end. */
function substring(value: unknown, pos: unknown, len: unknown = Number.MAX_SAFE_INTEGER): string | null {
  const text = str(value);
  const p = num(pos);
  const l = num(len);
  if (p === null || l === null) return null;
  const start = p > 0 ? p - 1 : p < 0 ? Math.max(0, text.length + p) : 0;
  return l <= 0 ? '' : text.slice(start, start + l);
}

/** SQL LIKE: `%` any run, `_` one character, `\` escapes. */
function likeToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\' && i + 1 < pattern.length) source += escapeRegExp(pattern[++i]!);
    else if (c === '%') source += '[\\s\\S]*';
    else if (c === '_') source += '[\\s\\S]';
    else source += escapeRegExp(c);
  }
  return new RegExp(`^${source}$`);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const TRUNC_UNITS: Readonly<Record<string, string>> = {
  year: 'year',
  yyyy: 'year',
  yy: 'year',
  quarter: 'quarter',
  month: 'month',
  mon: 'month',
  mm: 'month',
  week: 'week',
  day: 'day',
  dd: 'day',
  hour: 'hour',
  minute: 'minute',
  second: 'second',
  millisecond: 'millisecond',
};

/** `date_trunc(unit, ts)` in UTC; NULL for an unknown unit, as in Spark. */
function dateTrunc(unit: unknown, ts: unknown): number | null {
  const u = TRUNC_UNITS[str(unit).toLowerCase()];
  const t = eventTimeOf(ts);
  if (u === undefined || t === undefined) return null;
  const d = new Date(t);
  switch (u) {
    case 'millisecond':
      return t;
    case 'second':
      return Math.floor(t / 1000) * 1000;
    case 'minute':
      return Math.floor(t / 60_000) * 60_000;
    case 'hour':
      return Math.floor(t / 3_600_000) * 3_600_000;
    case 'day':
      return Math.floor(t / 86_400_000) * 86_400_000;
    case 'week': {
      const day = Math.floor(t / 86_400_000) * 86_400_000;
      const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday = 0
      return day - weekday * 86_400_000;
    }
    case 'month':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
    case 'quarter':
      return Date.UTC(d.getUTCFullYear(), Math.floor(d.getUTCMonth() / 3) * 3, 1);
    default:
      return Date.UTC(d.getUTCFullYear(), 0, 1);
  }
}

const timePart = (part: (d: Date) => number) => (ts: unknown) => {
  const t = eventTimeOf(ts);
  return t === undefined ? null : part(new Date(t));
};

/** A duration argument that must be a constant: `'10 minutes'` or `INTERVAL 10 MINUTES`. */
export function constantDuration(expr: Expression, call: string): number {
  if (expr.kind === 'interval') return expr.ms;
  if (expr.kind === 'literal' && (typeof expr.value === 'string' || typeof expr.value === 'number'))
    return parseDuration(expr.value);
  throw new ExpressionError(
    `${call}: the duration ${sqlText(expr)} must be a constant such as '10 minutes' or INTERVAL 10 MINUTES.`,
  );
}

/** The scalar `window(ts, duration)`: the tumbling window containing `ts`. */
function windowFunction(args: readonly Evaluator[], exprs: readonly Expression[], call: string): Evaluator {
  const durationMs = constantDuration(exprs[1]!, call);
  const slideMs = exprs[2] === undefined ? durationMs : constantDuration(exprs[2], call);
  const startMs = exprs[3] === undefined ? 0 : constantDuration(exprs[3], call);
  if (slideMs !== durationMs) {
    throw new ExpressionError(
      `${call}: a sliding window puts a row in several windows, which sluice supports only as a groupBy key; use it in groupBy(...), or a tumbling window here.`,
    );
  }
  const ts = args[0]!;
  return (row) => {
    const t = eventTimeOf(ts(row));
    if (t === undefined) return null;
    const start = latestWindowStart(t, slideMs, startMs);
    return { start, end: start + durationMs } satisfies TimeWindow;
  };
}

const coalesce: ScalarFunction = {
  minArgs: 1,
  maxArgs: Number.POSITIVE_INFINITY,
  make: (args) => (row) => {
    for (const arg of args) {
      const value = arg(row);
      if (!isNull(value)) return value;
    }
    return null;
  },
};

function extreme(sign: 1 | -1): ScalarFunction {
  return {
    minArgs: 2,
    maxArgs: Number.POSITIVE_INFINITY,
    // Spark's greatest/least skip NULLs.
    make: (args) => (row) => {
      let best: unknown = null;
      for (const arg of args) {
        const value = arg(row);
        if (isNull(value)) continue;
        if (best === null || (compareValues(value, best) ?? 0) * sign > 0) best = value;
      }
      return best;
    },
  };
}

const ifFunction: ScalarFunction = {
  minArgs: 3,
  maxArgs: 3,
  make:
    ([cond, a, b]) =>
    (row) =>
      cond!(row) === true ? a!(row) : b!(row),
};

/**
 * The scalar functions expressions may call, by Spark's names. Aggregates (`count`, `sum`, ...)
 * are not here: they are `aggregate` nodes, planned by the aggregation.
 */
export const SCALAR_FUNCTIONS: Readonly<Record<string, ScalarFunction>> = {
  // strings
  upper: strict(1, (s) => str(s).toUpperCase()),
  ucase: strict(1, (s) => str(s).toUpperCase()),
  lower: strict(1, (s) => str(s).toLowerCase()),
  lcase: strict(1, (s) => str(s).toLowerCase()),
  length: strict(1, (s) => [...str(s)].length),
  char_length: strict(1, (s) => [...str(s)].length),
  trim: strict(1, (s) => str(s).trim()),
  ltrim: strict(1, (s) => str(s).trimStart()),
  rtrim: strict(1, (s) => str(s).trimEnd()),
  substring: strict(2, substring, 3),
  substr: strict(2, substring, 3),
  concat: strict(1, (...parts) => parts.map(str).join(''), Number.POSITIVE_INFINITY),
  replace: strict(3, (s, from, to) => str(s).split(str(from)).join(str(to))),
  contains: strict(2, (s, part) => str(s).includes(str(part))),
  startswith: strict(2, (s, part) => str(s).startsWith(str(part))),
  endswith: strict(2, (s, part) => str(s).endsWith(str(part))),
  instr: strict(2, (s, part) => str(s).indexOf(str(part)) + 1),
  like: strict(2, (s, pattern) => likeToRegExp(str(pattern)).test(str(s))),
  rlike: strict(2, (s, pattern) => new RegExp(str(pattern)).test(str(s))),
  concat_ws: {
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    // Skips NULL parts; NULL only when the separator is.
    make:
      ([sep, ...parts]) =>
      (row) => {
        const separator = sep!(row);
        if (isNull(separator)) return null;
        return parts
          .map((part) => part(row))
          .filter((value) => !isNull(value))
          .map(str)
          .join(str(separator));
      },
  },
  // numbers
  abs: strict(1, numeric(Math.abs)),
  floor: strict(1, numeric(Math.floor)),
  ceil: strict(1, numeric(Math.ceil)),
  ceiling: strict(1, numeric(Math.ceil)),
  sqrt: strict(
    1,
    numeric((n) => (n < 0 ? Number.NaN : Math.sqrt(n))),
  ),
  exp: strict(1, numeric(Math.exp)),
  ln: strict(
    1,
    numeric((n) => (n <= 0 ? Number.NaN : Math.log(n))),
  ),
  signum: strict(1, numeric(Math.sign)),
  sign: strict(1, numeric(Math.sign)),
  round: strict(1, roundHalfUp, 2),
  pow: strict(2, (a, b) => {
    const x = num(a);
    const y = num(b);
    return x === null || y === null ? null : x ** y;
  }),
  power: strict(2, (a, b) => {
    const x = num(a);
    const y = num(b);
    return x === null || y === null ? null : x ** y;
  }),
  greatest: extreme(1),
  least: extreme(-1),
  // NULL handling
  coalesce,
  ifnull: { ...coalesce, minArgs: 2, maxArgs: 2 },
  nvl: { ...coalesce, minArgs: 2, maxArgs: 2 },
  nullif: {
    minArgs: 2,
    maxArgs: 2,
    make:
      ([a, b]) =>
      (row) => {
        const x = a!(row);
        const y = b!(row);
        return !isNull(x) && !isNull(y) && compareValues(x, y) === 0 ? null : x;
      },
  },
  nvl2: {
    minArgs: 3,
    maxArgs: 3,
    make:
      ([a, b, c]) =>
      (row) =>
        isNull(a!(row)) ? c!(row) : b!(row),
  },
  if: ifFunction,
  iff: ifFunction,
  isnull: {
    minArgs: 1,
    maxArgs: 1,
    make:
      ([a]) =>
      (row) =>
        isNull(a!(row)),
  },
  isnotnull: {
    minArgs: 1,
    maxArgs: 1,
    make:
      ([a]) =>
      (row) =>
        !isNull(a!(row)),
  },
  // time (timestamps are epoch milliseconds, UTC)
  date_trunc: strict(2, dateTrunc),
  window: { minArgs: 2, maxArgs: 4, make: windowFunction },
  window_time: strict(1, (w) => {
    const end = (w as Partial<TimeWindow>).end;
    return typeof end === 'number' ? end - 1 : null;
  }),
  timestamp_millis: strict(1, numeric(Math.trunc)),
  timestamp_seconds: strict(
    1,
    numeric((n) => Math.trunc(n * 1000)),
  ),
  unix_millis: strict(1, (ts) => eventTimeOf(ts) ?? null),
  unix_seconds: strict(1, (ts) => {
    const t = eventTimeOf(ts);
    return t === undefined ? null : Math.floor(t / 1000);
  }),
  to_timestamp: strict(1, (s) => (typeof s === 'number' ? s * 1000 : parseTimestamp(str(s)))),
  timestamp_string: strict(1, (ts) => {
    const t = eventTimeOf(ts);
    return t === undefined ? null : formatTimestamp(t);
  }),
  year: strict(
    1,
    timePart((d) => d.getUTCFullYear()),
  ),
  month: strict(
    1,
    timePart((d) => d.getUTCMonth() + 1),
  ),
  dayofmonth: strict(
    1,
    timePart((d) => d.getUTCDate()),
  ),
  day: strict(
    1,
    timePart((d) => d.getUTCDate()),
  ),
  dayofweek: strict(
    1,
    timePart((d) => d.getUTCDay() + 1),
  ),
  hour: strict(
    1,
    timePart((d) => d.getUTCHours()),
  ),
  minute: strict(
    1,
    timePart((d) => d.getUTCMinutes()),
  ),
  second: strict(
    1,
    timePart((d) => d.getUTCSeconds()),
  ),
};

/** Functions Spark has but a streaming query must not call, with the reason. */
export const REFUSED_FUNCTIONS: Readonly<Record<string, string>> = {
  current_timestamp:
    'it reads the clock, so a replayed batch would compute different rows; use the event-time column',
  now: 'it reads the clock, so a replayed batch would compute different rows; use the event-time column',
  rand: 'it is random, so a replayed batch would compute different rows',
  random: 'it is random, so a replayed batch would compute different rows',
  uuid: 'it is random, so a replayed batch would compute different rows',
  session_window:
    'a session window merges rows across the stream, so it is only a groupBy key: groupBy(session_window(ts, gap), ...)',
};
