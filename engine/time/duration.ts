import { InvalidDurationError } from '../errors.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

const PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/g;

/**
 * Parses a duration into milliseconds, Spark-style: `'10 minutes'`, `'1 hour 30 minutes'`,
 * `'interval 5 seconds'`, `'500ms'`, or a number of milliseconds.
 *
 * @example parseDuration('10 minutes') // 600000
 */
export function parseDuration(input: number | string): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0)
      throw new InvalidDurationError(input, 'must be a finite number ≥ 0');
    return Math.trunc(input);
  }
  const text = input
    .trim()
    .toLowerCase()
    .replace(/^interval\s+/, '');
  if (text === '') throw new InvalidDurationError(input, 'is empty');
  let total = 0;
  let consumed = '';
  for (const match of text.matchAll(PART)) {
    const unit = UNIT_MS[match[2]!];
    if (unit === undefined) throw new InvalidDurationError(input, `unknown unit '${match[2]}'`);
    total += Number(match[1]) * unit;
    consumed += match[0];
  }
  if (consumed.replace(/\s+/g, '') !== text.replace(/\s+/g, '')) {
    throw new InvalidDurationError(input, 'is not a list of <number> <unit> pairs');
  }
  return Math.round(total);
}
