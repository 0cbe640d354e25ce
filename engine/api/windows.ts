import { InvalidQueryError } from '../errors.js';
import type { GroupingKey } from '../plan/nodes.js';
import { parseDuration } from '../time/duration.js';
import type { Duration } from '../types.js';

export type WindowKey = Extract<GroupingKey, { kind: 'window' }>;
export type SessionWindowKey = Extract<GroupingKey, { kind: 'session' }>;

/**
 * A tumbling (`slide` omitted) or sliding time window over an event-time column, as Spark's
 * `window(timeColumn, windowDuration, slideDuration?, startTime?)`. Windows are `[start, end)`,
 * aligned to the epoch plus `startTime`. The output column is named `window`.
 *
 * @example groupBy(window('ts', '10 minutes', '5 minutes'), 'word')
 */
export function window(
  column: string,
  duration: Duration,
  slide?: Duration,
  startTime: Duration = 0,
): WindowKey {
  const durationMs = parseDuration(duration);
  const slideMs = slide === undefined ? durationMs : parseDuration(slide);
  const startMs = parseDuration(startTime);
  if (durationMs <= 0) {
    throw new InvalidQueryError(
      'INVALID_WINDOW',
      `window('${column}') needs a duration > 0, got ${String(duration)}.`,
    );
  }
  if (slideMs <= 0 || slideMs > durationMs) {
    throw new InvalidQueryError(
      'INVALID_WINDOW',
      `window('${column}') needs 0 < slide ≤ duration, got slide ${String(slide)} for duration ${String(duration)}.`,
    );
  }
  if (startMs >= slideMs) {
    throw new InvalidQueryError(
      'INVALID_WINDOW',
      `window('${column}') needs startTime < slide, got ${String(startTime)}; startTime shifts windows within one slide.`,
    );
  }
  return { kind: 'window', column, durationMs, slideMs, startMs };
}

/**
 * A session window over an event-time column, as Spark's `session_window(timeColumn, gap)`:
 * each row opens `[t, t + gap)` and sessions of a key that overlap or touch merge. The output
 * column is named `session_window`.
 */
export function sessionWindow(column: string, gap: Duration): SessionWindowKey {
  const gapMs = parseDuration(gap);
  if (gapMs <= 0) {
    throw new InvalidQueryError(
      'INVALID_WINDOW',
      `sessionWindow('${column}') needs a gap > 0, got ${String(gap)}.`,
    );
  }
  return { kind: 'session', column, gapMs };
}

/** A session window whose gap is read from each row's `gapColumn` (Spark's dynamic gap). */
export function dynamicSessionWindow(column: string, gapColumn: string): SessionWindowKey {
  return { kind: 'session', column, gapMs: 0, gapColumn };
}

/** Start of the latest window (of the given slide and offset) that contains `t`; floors before the epoch. */
export function latestWindowStart(t: number, slideMs: number, startMs: number): number {
  const offset = (((t - startMs) % slideMs) + slideMs) % slideMs;
  return t - offset;
}
