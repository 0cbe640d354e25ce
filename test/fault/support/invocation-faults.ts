import type { BatchPhase } from '../../../engine/index.js';
import type { CallKind } from './call-kinds.js';

/**
 * A fault planned for one invocation. `nth` counts matching events within the invocation (1 =
 * the first), so a fault whose call never comes simply does not fire.
 *
 * - `crash` before a call: the process dies before sending (the call never happened); after a
 *   call: the call took effect but the process died before learning it. `any` is the n-th call
 *   of whatever kind.
 * - `phase`: the process dies right after a batch phase completes (the handler's `hook`).
 * - `throttle`: the n-th call of a kind is throttled on its first `failures` attempts; with
 *   `failures` ≥ the SDK's attempts the call fails after the SDK's retries.
 */
export type Fault =
  | {
      readonly kind: 'crash';
      readonly when: 'before' | 'after';
      readonly target: CallKind | 'any';
      readonly nth: number;
    }
  | { readonly kind: 'phase'; readonly phase: BatchPhase; readonly nth: number }
  | { readonly kind: 'throttle'; readonly target: CallKind; readonly nth: number; readonly failures: number }
  /**
   * A PutRecords that Kinesis takes only in part (its first half of entries): the rest comes back
   * rejected (`retry`: the caller must re-send it) or the process dies right after (`crash`).
   */
  | {
      readonly kind: 'partial';
      readonly target: CallKind;
      readonly nth: number;
      readonly after: 'retry' | 'crash';
    };

/** The error that stands for a process crash. */
export class InjectedCrash extends Error {
  override readonly name = 'InjectedCrash';
}

/** What one call should suffer, decided before it is sent. */
export interface CallPlan {
  readonly call: CallKind;
  /** Attempts still to be throttled (decremented by the per-attempt middleware). */
  throttleLeft: number;
  readonly crashAfter: boolean;
  /** Put only part of the entries, then reject the rest or crash (see the `partial` fault). */
  readonly partial?: 'retry' | 'crash';
}

/**
 * The faults of one invocation and what fired. Once a crash fires the invocation is dead: any
 * call it still tries (a parallel write that had not started) throws before being sent, as it
 * would never happen in a crashed process; calls already in flight complete.
 */
export class InvocationFaults {
  private readonly counts = new Map<string, number>();
  private dead = false;
  /** Labels of the faults that fired, e.g. `crash-after:wal.plan`, in order. */
  readonly fired: string[] = [];

  constructor(
    private readonly faults: readonly Fault[],
    private readonly maxAttempts: number,
  ) {}

  get crashed(): boolean {
    return this.dead;
  }

  /** Called before a call is sent; throws {@link InjectedCrash} for a crash before it. */
  beforeCall(call: CallKind): CallPlan {
    if (this.dead) throw new InjectedCrash(`${call} after the process crashed`);
    const nthOfKind = this.bump(call);
    const nthOfAny = this.bump('any');
    const matches = (fault: { target: CallKind | 'any'; nth: number }) =>
      fault.target === 'any' ? fault.nth === nthOfAny : fault.target === call && fault.nth === nthOfKind;
    let crashAfter = false;
    let throttleLeft = 0;
    let partial: 'retry' | 'crash' | undefined;
    for (const fault of this.faults) {
      if (fault.kind === 'partial' && matches(fault)) {
        partial = fault.after;
        this.fired.push(`partial-put-${fault.after}:${call}`);
        continue;
      }
      if (fault.kind === 'crash' && matches(fault)) {
        if (fault.when === 'before') this.crash(`crash-before:${call}`);
        else crashAfter = true;
      } else if (fault.kind === 'throttle' && matches(fault)) {
        throttleLeft = fault.failures;
        this.fired.push(
          `${fault.failures >= this.maxAttempts ? 'throttle-exhausted' : 'throttle-retried'}:${call}`,
        );
      }
    }
    return { call, throttleLeft, crashAfter, ...(partial === undefined ? {} : { partial }) };
  }

  /** Called after a partial put landed, when the process dies then. */
  crashAfterPartial(plan: CallPlan): never {
    return this.crash(`crash-after-partial:${plan.call}`);
  }

  /** Called after a call succeeded; throws {@link InjectedCrash} for a crash after it. */
  afterCall(plan: CallPlan): void {
    if (plan.crashAfter) this.crash(`crash-after:${plan.call}`);
  }

  /** Called after a batch phase completed (the handler's hook). */
  afterPhase(phase: BatchPhase): void {
    if (this.dead) throw new InjectedCrash(`phase ${phase} after the process crashed`);
    const nth = this.bump(`phase:${phase}`);
    for (const fault of this.faults) {
      if (fault.kind === 'phase' && fault.phase === phase && fault.nth === nth)
        this.crash(`crash-phase:${phase}`);
    }
  }

  private bump(key: string): number {
    const next = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, next);
    return next;
  }

  private crash(label: string): never {
    this.dead = true;
    this.fired.push(label);
    throw new InjectedCrash(`injected ${label}`);
  }
}
