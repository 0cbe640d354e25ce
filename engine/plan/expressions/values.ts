import type { CastType } from './expression.js';

/**
 * Spark SQL's value semantics over sluice rows (Spark 3.5 defaults, `spark.sql.ansi.enabled=false`):
 * NULL propagates through arithmetic and comparisons, a failed implicit cast is NULL, division by
 * zero is NULL. `undefined` (an absent field) is NULL.
 */

export const isNull = (value: unknown): value is null | undefined => value === null || value === undefined;

/** A value as a number for arithmetic: numbers as they are, numeric strings parsed (Spark casts them to double). */
export function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isNaN(value) ? null : value;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return null;
    const n = Number(text);
    return Number.isNaN(n) ? null : n;
  }
  if (typeof value === 'boolean') return value ? 1 : 0;
  return null;
}

/**
 * Compares two non-null values as Spark does after its implicit casts: numbers numerically (a
 * string compared with a number is cast to a number, NULL when it is not one), strings by code
 * point, booleans false < true, structs (windows) field by field. `null` when incomparable.
 */
export function compareValues(a: unknown, b: unknown): number | null {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'number' || typeof b === 'number') {
    const x = toNumber(a);
    const y = toNumber(b);
    if (x === null || y === null) return null;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = Object.keys(a);
    if (keys.length !== Object.keys(b).length) return null;
    for (const key of keys) {
      const x = (a as Record<string, unknown>)[key];
      const y = (b as Record<string, unknown>)[key];
      if (isNull(x) || isNull(y)) {
        if (isNull(x) && isNull(y)) continue;
        return isNull(x) ? -1 : 1;
      }
      const c = compareValues(x, y);
      if (c !== 0) return c;
    }
    return 0;
  }
  return null;
}

/** Truncates toward zero, as Spark's casts to integral types do; NULL outside the 64-bit range. */
function toIntegral(n: number | null): number | null {
  if (n === null || !Number.isFinite(n)) return null;
  return Math.trunc(n);
}

const TRUE_STRINGS = new Set(['t', 'true', 'y', 'yes', '1']);
const FALSE_STRINGS = new Set(['f', 'false', 'n', 'no', '0']);

/** Parses a timestamp string (ISO-8601, or Spark's `yyyy-MM-dd HH:mm:ss[.SSS]`, UTC) to epoch ms. */
export function parseTimestamp(text: string): number | null {
  const trimmed = text.trim();
  const iso = /^\d{4}-\d{2}-\d{2} \d/.test(trimmed) ? trimmed.replace(' ', 'T') : trimmed;
  const withZone = /[zZ]|[+-]\d{2}:?\d{2}$/.test(iso) || !iso.includes('T') ? iso : `${iso}Z`;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(withZone) ? `${withZone}T00:00:00Z` : withZone);
  return Number.isNaN(ms) ? null : ms;
}

/** A timestamp (epoch ms) as Spark prints it: `yyyy-MM-dd HH:mm:ss[.SSS]`, in UTC. */
export function formatTimestamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  const base = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  return ms % 1000 === 0 ? base : `${base}${iso.slice(19, 23)}`;
}

const DAY_MS = 86_400_000;

/**
 * `CAST(value AS type)`. As in Spark, a number cast to TIMESTAMP counts seconds since the epoch
 * (sluice's timestamps are epoch milliseconds, so `CAST(ts AS TIMESTAMP)` of a timestamp column is
 * not a no-op: use `timestamp_millis(ms)` to turn milliseconds into a timestamp). A DATE is the
 * timestamp of its UTC midnight. Failed casts are NULL.
 */
export function castValue(value: unknown, to: CastType): unknown {
  if (isNull(value)) return null;
  switch (to) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'object') return JSON.stringify(value);
      return String(value);
    case 'int':
    case 'bigint':
      return toIntegral(toNumber(value));
    case 'double':
      return toNumber(value);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return value !== 0;
      if (typeof value === 'string') {
        const lower = value.trim().toLowerCase();
        return TRUE_STRINGS.has(lower) ? true : FALSE_STRINGS.has(lower) ? false : null;
      }
      return null;
    case 'timestamp':
      if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value * 1000) : null;
      if (typeof value === 'string') return parseTimestamp(value);
      return null;
    case 'date': {
      const ms = typeof value === 'string' ? parseTimestamp(value) : typeof value === 'number' ? value : null;
      return ms === null ? null : Math.floor(ms / DAY_MS) * DAY_MS;
    }
  }
}
