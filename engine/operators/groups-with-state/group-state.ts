import { InvalidDurationError, UserFunctionError } from '../../errors.js';
import { parseDuration } from '../../time/duration.js';
import { type GroupState, GroupStateTimeout } from './types.js';

/** What a {@link GroupStateImpl} knows about the batch it runs in. */
export interface GroupStateBatchInfo {
  /** The operator's timeout kind: decides which of the `setTimeout*` methods are allowed. */
  readonly timeout: GroupStateTimeout;
  /** The batch's processing time (from its WAL entry, so a replay sees the same). */
  readonly batchTimestampMs: number;
  /** The batch's eviction watermark (Spark's `eventTimeWatermarkForEviction`). */
  readonly watermarkMs: number;
  /** Whether the query declares a watermark; without one `getCurrentWatermarkMs` throws. */
  readonly hasWatermark: boolean;
}

/** What a call did to its key's state, read by the operator once the call's output is consumed. */
export interface GroupStateOutcome {
  readonly updated: boolean;
  readonly removed: boolean;
  /** Whether state exists after the call; `value` is then a private copy to store. */
  readonly exists: boolean;
  readonly value: unknown;
  /** The timeout set during the call; `undefined` when none was (the previous one is cleared). */
  readonly timeoutMs: number | undefined;
}

/**
 * Spark's `GroupStateImpl`: the state handle of one call of the user function for one key.
 *
 * Each call starts with no timeout: the key's previous timeout is cleared unless the function
 * sets one again, as in Spark. The stored value is copied before the function sees it and again
 * when the call ends, so a function that mutates its state object can never alter the entry the
 * store keeps as the previous version (which replays read).
 */
export class GroupStateImpl<S> implements GroupState<S> {
  private value: unknown;
  private defined: boolean;
  /** Whether `value` is already a private copy (or the function's own object). */
  private owned = false;
  private updated = false;
  private removed = false;
  private timeoutMs: number | undefined;
  private closed = false;

  constructor(
    private readonly batch: GroupStateBatchInfo,
    stored: { readonly value: unknown } | undefined,
    readonly hasTimedOut: boolean,
  ) {
    if (hasTimedOut && batch.timeout === GroupStateTimeout.NoTimeout) {
      throw new UserFunctionError(
        'MISSING_TIMEOUT_CONFIGURATION',
        'A GroupState cannot have timed out when the operator has no timeout configured.',
      );
    }
    this.defined = stored !== undefined;
    this.value = stored?.value;
  }

  get exists(): boolean {
    this.checkOpen();
    return this.defined;
  }

  get(): S {
    this.checkOpen();
    if (!this.defined) {
      throw new UserFunctionError(
        'GROUP_STATE_NOT_DEFINED',
        'State is either not defined or has already been removed. Check `state.exists` or use `state.getOption()` before reading it.',
      );
    }
    return this.current() as S;
  }

  getOption(): S | undefined {
    this.checkOpen();
    return this.defined ? (this.current() as S) : undefined;
  }

  update(newState: S): void {
    this.checkOpen();
    if (newState === null || newState === undefined) {
      throw new UserFunctionError(
        'GROUP_STATE_INVALID_VALUE',
        `'${String(newState)}' is not a valid state value. Call state.remove() to delete the state.`,
      );
    }
    this.value = newState;
    this.owned = true;
    this.defined = true;
    this.updated = true;
    this.removed = false;
  }

  remove(): void {
    this.checkOpen();
    this.defined = false;
    this.updated = false;
    this.removed = true;
  }

  setTimeoutDuration(duration: number | string): void {
    this.checkOpen();
    if (this.batch.timeout !== GroupStateTimeout.ProcessingTimeTimeout) {
      throw new UserFunctionError(
        'CANNOT_SET_TIMEOUT_DURATION',
        'Cannot set timeout duration without enabling processing time timeout in [map|flatMap]GroupsWithState. Pass { timeout: GroupStateTimeout.ProcessingTimeTimeout }, or use setTimeoutTimestamp with EventTimeTimeout.',
        { timeout: this.batch.timeout },
      );
    }
    const durationMs = toMs(duration, 'timeout duration');
    if (durationMs <= 0) {
      throw new UserFunctionError(
        'GROUP_STATE_INVALID_TIMEOUT',
        `Timeout duration must be positive, got ${JSON.stringify(duration)}.`,
        { duration },
      );
    }
    this.timeoutMs = this.batch.batchTimestampMs + durationMs;
  }

  setTimeoutTimestamp(timestampMs: number, additionalDuration?: number | string): void {
    this.checkOpen();
    if (this.batch.timeout !== GroupStateTimeout.EventTimeTimeout) {
      throw new UserFunctionError(
        'CANNOT_SET_TIMEOUT_TIMESTAMP',
        'Cannot set timeout timestamp without enabling event time timeout in [map|flatMap]GroupsWithState. Pass { timeout: GroupStateTimeout.EventTimeTimeout } (the query needs a watermark), or use setTimeoutDuration with ProcessingTimeTimeout.',
        { timeout: this.batch.timeout },
      );
    }
    if (typeof timestampMs !== 'number' || !Number.isFinite(timestampMs)) {
      throw new UserFunctionError(
        'GROUP_STATE_INVALID_TIMEOUT',
        `Timeout timestamp must be epoch milliseconds, got ${String(timestampMs)}.`,
        { timestampMs },
      );
    }
    const total =
      timestampMs + (additionalDuration === undefined ? 0 : toMs(additionalDuration, 'additional duration'));
    if (total <= 0) {
      throw new UserFunctionError(
        'GROUP_STATE_INVALID_TIMEOUT',
        `Timeout timestamp must be positive, got ${total}.`,
        { timestampMs: total },
      );
    }
    if (total < this.batch.watermarkMs) {
      throw new UserFunctionError(
        'GROUP_STATE_TIMEOUT_BEFORE_WATERMARK',
        `Timeout timestamp (${total}) cannot be earlier than the current watermark (${this.batch.watermarkMs}). Derive it from state.getCurrentWatermarkMs() or from event times that are not late.`,
        { timestampMs: total, watermarkMs: this.batch.watermarkMs },
      );
    }
    // Thresholds are whole milliseconds, so flooring keeps "fires when < threshold" exact.
    this.timeoutMs = Math.floor(total);
  }

  getCurrentWatermarkMs(): number {
    this.checkOpen();
    if (!this.batch.hasWatermark) {
      throw new UserFunctionError(
        'CANNOT_GET_WATERMARK',
        'Cannot get event time watermark timestamp without setting watermark before [map|flatMap]GroupsWithState. Add withWatermark(column, delay) to the query.',
      );
    }
    return this.batch.watermarkMs;
  }

  getCurrentProcessingTimeMs(): number {
    this.checkOpen();
    return this.batch.batchTimestampMs;
  }

  /** The timeout set so far in this call (`undefined` when none), as Spark's `getTimeoutTimestampMs`. */
  get timeoutTimestampMs(): number | undefined {
    return this.timeoutMs;
  }

  /**
   * Ends the call: later use of this handle throws. Returns what to write, with the state copied
   * so the function keeps no reference into what the store holds.
   */
  close(): GroupStateOutcome {
    this.closed = true;
    return {
      updated: this.updated,
      removed: this.removed,
      exists: this.defined,
      value: this.defined ? copyState(this.value) : undefined,
      timeoutMs: this.timeoutMs,
    };
  }

  toString(): string {
    return `GroupState(${this.defined ? JSON.stringify(this.value) : '<undefined>'})`;
  }

  /** The value the function sees: a private copy of the stored one, made on first access. */
  private current(): unknown {
    if (!this.owned) {
      this.value = copyState(this.value);
      this.owned = true;
    }
    return this.value;
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new UserFunctionError(
        'GROUP_STATE_USED_AFTER_CALL',
        'A GroupState was used after its call returned (and its output was consumed). Use the state only inside the function call it was passed to.',
      );
    }
  }
}

function toMs(duration: number | string, what: string): number {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration) || duration < 0) {
      throw new UserFunctionError(
        'GROUP_STATE_INVALID_TIMEOUT',
        `The ${what} must be a finite, non-negative number of milliseconds, got ${duration}.`,
        { duration },
      );
    }
    return duration;
  }
  try {
    return parseDuration(duration);
  } catch (error) {
    if (!(error instanceof InvalidDurationError)) throw error;
    throw new UserFunctionError(
      'GROUP_STATE_INVALID_TIMEOUT',
      `Invalid ${what} ${JSON.stringify(duration)}: use a positive duration such as '10 seconds'.`,
      { duration },
    );
  }
}

function copyState(value: unknown): unknown {
  try {
    return structuredClone(value);
  } catch (error) {
    throw new UserFunctionError(
      'GROUP_STATE_NOT_PLAIN_DATA',
      'Group state must be plain data (objects, arrays, strings, numbers, booleans, null, Uint8Array); functions and other uncloneable values cannot be stored.',
      { cause: String(error) },
    );
  }
}
