/**
 * Reading a record's event time at the edge. Producers send epoch milliseconds or ISO-8601
 * strings; the engine works in epoch milliseconds only, so the edge converts once and rejects
 * anything else as a dead letter instead of letting a bad time poison a watermark.
 */

/** The outcome of {@link parseEventTime}: milliseconds, or why the value is not an event time. */
export type EventTimeResult =
  | { readonly ok: true; readonly ms: number }
  | { readonly ok: false; readonly problem: string };

/** JavaScript dates span ±8.64e15 ms around the epoch; anything beyond is not a time. */
export const MAX_EVENT_TIME_MS = 8.64e15;
const MAX_ABS_MS = MAX_EVENT_TIME_MS;

// YYYY-MM-DD, optionally followed by T (or a space) hh:mm[:ss[.fraction]] and an offset.
const ISO_8601 =
  /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

/**
 * Converts an event-time value to epoch milliseconds.
 *
 * - a finite number is taken as epoch milliseconds;
 * - a string must be ISO-8601: a date (`2024-05-01`, midnight UTC) or a date-time with an
 *   optional fraction and offset (`2024-05-01T12:30:00.250+02:00`). A date-time without an
 *   offset is read as UTC, never in the machine's zone, so every machine gets the same number;
 *   digits past milliseconds are truncated. Impossible dates such as Feb 30 are rejected;
 * - a `Date` (from a schema that builds dates) gives its time.
 *
 * @example
 * parseEventTime('1970-01-01T00:00:01Z') // { ok: true, ms: 1000 }
 * parseEventTime('yesterday')            // { ok: false, problem: '"yesterday" is not … ISO-8601 …' }
 */
export function parseEventTime(value: unknown): EventTimeResult {
  if (value === undefined || value === null) return { ok: false, problem: 'missing' };
  if (typeof value === 'number') {
    return Number.isFinite(value) && Math.abs(value) <= MAX_ABS_MS
      ? { ok: true, ms: value }
      : { ok: false, problem: `${value} is not a finite epoch-millisecond number` };
  }
  if (typeof value === 'string') return parseIso(value);
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? { ok: false, problem: 'an invalid Date' } : { ok: true, ms };
  }
  return {
    ok: false,
    problem: `got ${describeType(value)}, expected epoch milliseconds or an ISO-8601 string`,
  };
}

function parseIso(text: string): EventTimeResult {
  const notIso = {
    ok: false,
    problem: `${JSON.stringify(text)} is neither epoch milliseconds nor an ISO-8601 string`,
  } as const;
  const m = ISO_8601.exec(text);
  if (m === null) return notIso;
  const [
    ,
    year,
    month,
    day,
    hour = '0',
    minute = '0',
    second = '0',
    fraction = '',
    ,
    sign,
    offH,
    offM = '0',
  ] = m;
  const y = Number(year);
  const mo = Number(month);
  const d = Number(day);
  const h = Number(hour);
  const mi = Number(minute);
  const s = Number(second);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return notIso;
  const offsetMinutes = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(offH) * 60 + Number(offM));
  if (sign !== undefined && (Number(offH) > 23 || Number(offM) > 59)) return notIso;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, Number(fraction.slice(0, 3).padEnd(3, '0')));
  const ms = date.getTime() - offsetMinutes * 60_000;
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_ABS_MS ? { ok: true, ms } : notIso;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** `array`, `boolean`, `object`, … for messages. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
