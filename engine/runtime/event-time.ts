/**
 * Reads an event time as epoch milliseconds. A `{start, end}` window (the output of a windowed
 * aggregation) stands for `end - 1`, Spark's `window_time`, so windows of windows work.
 * Returns `undefined` for anything else; callers reject such rows as dead letters.
 */
export function eventTimeOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (value !== null && typeof value === 'object' && 'end' in value) {
    const end = (value as { end: unknown }).end;
    return typeof end === 'number' && Number.isFinite(end) ? end - 1 : undefined;
  }
  return undefined;
}

export const INVALID_EVENT_TIME = 'event time is missing or not epoch milliseconds';
