/**
 * Limits the edge applies to every record after decoding, so that input which would break a later
 * step (a stack overflow writing deeply nested JSON, DynamoDB's 32 nesting levels, a watermark
 * thrown years ahead) is a dead letter naming the limit instead of a stuck batch.
 */

/** Default bound on nesting (objects and arrays) of a decoded record; DynamoDB stores 32 levels. */
export const DEFAULT_MAX_NESTING_DEPTH = 32;

/** Default bound on how far an event time may be ahead of the record's Kinesis arrival time: one day. */
export const DEFAULT_MAX_EVENT_TIME_AHEAD_MS = 24 * 3600 * 1000;

/** The edge's limits; see {@link DEFAULT_MAX_NESTING_DEPTH} and {@link DEFAULT_MAX_EVENT_TIME_AHEAD_MS}. */
export interface EdgeLimits {
  /** Deeper records are dead letters (`edge limit maxNestingDepth`). @default 32 */
  readonly maxNestingDepth?: number;
  /**
   * Event-time sanity: a record whose event time is more than this ahead of its Kinesis
   * `approximateArrivalTimestamp` is a dead letter (`edge limit maxEventTimeAheadMs`) instead of
   * moving the watermark there. Deterministic, since the arrival time is part of the record.
   * `false` turns the check off. @default one day
   */
  readonly maxEventTimeAheadMs?: number | false;
  /** Optional lower bound: event times more than this behind the arrival time are dead letters. @default none */
  readonly maxEventTimeBehindMs?: number;
}

/** The reason a value nests deeper than `max` levels, or `undefined` when it does not. Iterative: no stack to overflow. */
export function nestingProblem(value: unknown, max: number): string | undefined {
  // Most records are flat: one allocation-free pass over their values settles those (issue 14).
  if (value === null || typeof value !== 'object') return undefined;
  if (max >= 1 && !hasObjectChild(value)) return undefined;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth > max) {
      return `edge limit maxNestingDepth: the record nests deeper than ${max} levels (objects and arrays); flatten it or raise maxNestingDepth (DynamoDB state holds at most 32 levels)`;
    }
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return undefined;
}

function hasObjectChild(value: object): boolean {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child: unknown = value[i];
      if (child !== null && typeof child === 'object') return true;
    }
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const child = record[key];
    if (child !== null && typeof child === 'object') return true;
  }
  return false;
}

/** The reason an event time is outside the bounds around the arrival time, or `undefined`. */
export function eventTimeProblem(
  column: string,
  eventTimeMs: number,
  arrivalMs: number | undefined,
  limits: EdgeLimits,
): string | undefined {
  if (arrivalMs === undefined) return undefined;
  const ahead = limits.maxEventTimeAheadMs ?? DEFAULT_MAX_EVENT_TIME_AHEAD_MS;
  if (ahead !== false && eventTimeMs - arrivalMs > ahead) {
    return `edge limit maxEventTimeAheadMs: event time in '${column}' (${iso(eventTimeMs)}) is more than ${ahead} ms ahead of the record's arrival in Kinesis (${iso(arrivalMs)}); it would move the watermark past all later data. Fix the producer's clock, or raise maxEventTimeAheadMs.`;
  }
  const behind = limits.maxEventTimeBehindMs;
  if (behind !== undefined && arrivalMs - eventTimeMs > behind) {
    return `edge limit maxEventTimeBehindMs: event time in '${column}' (${iso(eventTimeMs)}) is more than ${behind} ms behind the record's arrival in Kinesis (${iso(arrivalMs)}).`;
  }
  return undefined;
}

function iso(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
