/** Processing time. The executor reads it once per batch and records it in the batch's WAL entry. */
export interface Clock {
  nowMs(): number;
}

/** The wall clock. */
export const systemClock: Clock = { nowMs: () => Date.now() };

/** A clock that moves only when told to, like Spark's `StreamManualClock`. */
export class ManualClock implements Clock {
  private timeMs: number;

  constructor(startMs = 0) {
    this.timeMs = startMs;
  }

  nowMs(): number {
    return this.timeMs;
  }

  /** Moves the clock forward by `ms` (never backwards). */
  advance(ms: number): this {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance takes a non-negative number of ms, got ${ms}`);
    this.timeMs += ms;
    return this;
  }

  /** Sets the clock to an absolute time, which must not be earlier than now. */
  setTime(ms: number): this {
    if (ms < this.timeMs) throw new RangeError(`ManualClock cannot go back from ${this.timeMs} to ${ms}`);
    this.timeMs = ms;
    return this;
  }
}
