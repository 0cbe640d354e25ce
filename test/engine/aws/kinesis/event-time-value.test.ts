import { describe, expect, it } from 'vitest';
import { parseEventTime } from '../../../../engine/aws/kinesis/index.js';

const ms = (value: unknown) => {
  const result = parseEventTime(value);
  return result.ok ? result.ms : result.problem;
};

describe('event time at the edge', () => {
  it('takes finite numbers as epoch milliseconds', () => {
    expect(ms(0)).toBe(0);
    expect(ms(1_700_000_000_123)).toBe(1_700_000_000_123);
    expect(ms(-86_400_000)).toBe(-86_400_000);
    expect(ms(Number.NaN)).toBe('NaN is not a finite epoch-millisecond number');
    expect(ms(Number.POSITIVE_INFINITY)).toMatch(/not a finite/);
    expect(ms(9e15)).toMatch(/not a finite/);
  });

  it('reads ISO-8601 dates and date-times with offsets and fractions', () => {
    expect(ms('1970-01-01')).toBe(0);
    expect(ms('1970-01-01T00:00:01Z')).toBe(1_000);
    expect(ms('1970-01-01T00:00:01.5Z')).toBe(1_500);
    expect(ms('1970-01-01T00:00:01.123456789Z')).toBe(1_123); // beyond ms: truncated
    expect(ms('1970-01-01T02:00:00+02:00')).toBe(0);
    expect(ms('1970-01-01T02:00:00+0200')).toBe(0);
    expect(ms('1969-12-31T19:00-05')).toBe(0);
    expect(ms('1970-01-01 00:01')).toBe(60_000);
    expect(ms('2024-02-29T12:00:00Z')).toBe(Date.UTC(2024, 1, 29, 12));
    expect(ms('0099-01-01T00:00:00Z')).toBe(new Date('0099-01-01T00:00:00Z').getTime()); // not 1999
  });

  it('reads a date-time without an offset as UTC, whatever the machine zone', () => {
    expect(ms('2023-11-14T22:13:20.123')).toBe(1_700_000_000_123);
  });

  it('rejects strings that are not ISO-8601 or name impossible times', () => {
    for (const text of [
      'yesterday',
      '',
      '2024-02-30',
      '2023-02-29T00:00Z',
      '2024-13-01',
      '2024-01-01T24:00Z',
      '2024-01-01T10:60Z',
      'March 7, 2020',
      '1700000000000',
      '2024-01-01T00:00+25:00',
    ]) {
      expect(ms(text), text).toMatch(/is neither epoch milliseconds nor an ISO-8601 string$/);
    }
  });

  it('says what is missing or of the wrong type', () => {
    expect(ms(undefined)).toBe('missing');
    expect(ms(null)).toBe('missing');
    expect(ms(true)).toBe('got boolean, expected epoch milliseconds or an ISO-8601 string');
    expect(ms({ at: 1 })).toBe('got object, expected epoch milliseconds or an ISO-8601 string');
    expect(ms(new Date(5))).toBe(5);
    expect(ms(new Date(Number.NaN))).toBe('an invalid Date');
  });
});
