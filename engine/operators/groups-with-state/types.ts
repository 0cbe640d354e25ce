import type { Row } from '../../types.js';

/** Spark's `GroupStateTimeout` kinds. */
export const GroupStateTimeout = {
  NoTimeout: 'NoTimeout',
  ProcessingTimeTimeout: 'ProcessingTimeTimeout',
  EventTimeTimeout: 'EventTimeTimeout',
} as const;
export type GroupStateTimeout = (typeof GroupStateTimeout)[keyof typeof GroupStateTimeout];

/**
 * The per-key state handle passed to `mapGroupsWithState` / `flatMapGroupsWithState`, with
 * Spark's `GroupState` contract.
 */
export interface GroupState<S> {
  /** Whether state exists for the key. */
  readonly exists: boolean;
  /** The state; throws when it does not exist. */
  get(): S;
  /** The state, or `undefined` when it does not exist. */
  getOption(): S | undefined;
  /** Replaces the state; `null`/`undefined` are not allowed (use `remove`). */
  update(newState: S): void;
  /** Removes the state. */
  remove(): void;
  /** True when this call is due to a timeout (and the rows are empty). */
  readonly hasTimedOut: boolean;
  /** Processing-time timeout: fire after `duration` from this batch's processing time. */
  setTimeoutDuration(duration: number | string): void;
  /** Event-time timeout: fire once the watermark passes `timestampMs` (+ `additionalDuration`). */
  setTimeoutTimestamp(timestampMs: number, additionalDuration?: number | string): void;
  /** The current event-time watermark; throws when the query has no watermark. */
  getCurrentWatermarkMs(): number;
  /** The batch's processing time (the same on every replay). */
  getCurrentProcessingTimeMs(): number;
}

/** The user function of `flatMapGroupsWithState`: any number of output rows per call. */
export type GroupsWithStateFunction = (
  key: any,
  rows: readonly Row[],
  state: GroupState<any>,
) => Iterable<Row> | Row;
