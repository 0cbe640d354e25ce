import type { CallKind } from './call-kinds.js';
import type { Prng } from './prng.js';

const settle = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

/** Which of the two concurrent invocations a call belongs to. */
export type Party = 'invocation' | 'zombie';

/** How the two invocations' calls interleave. */
export interface InterleaveMode {
  /**
   * The chance that the invocation's call goes first when both parties wait: 0.5 mixes them
   * evenly; near 1 the zombie lags, near 0 the invocation lags.
   */
  readonly bias: number;
  /**
   * The zombie's first call of this kind waits until the invocation has returned: a zombie
   * frozen mid-batch (a long GC pause, a frozen container) that wakes up after the world has
   * moved on, e.g. right before writing state it checked it still owned.
   */
  readonly freezeZombieBefore?: CallKind;
}

/**
 * Serializes the external calls of concurrent invocations (an invocation and its zombie) and
 * picks, with the schedule's generator, which waiting call goes next. One call is in flight at a
 * time; the next pick waits until every party that has not returned has a call waiting and the
 * event loop has settled, so the choice depends on the seed, not on timing (also when other
 * schedules run in the same process).
 *
 * One order is excluded, as the design excludes it (docs/architecture.md, "On Lambda": with one
 * writer per shard a lagging zombie cannot exist): state writes reach DynamoDB in the order they
 * were issued. A state write that passed its fence is never held back behind the other
 * invocation's later state write (for a later batch), since plain batch writes cannot be
 * conditional and the stale write would replace newer state.
 */
export class Interleaver {
  private readonly waiting: Array<{
    readonly party: Party;
    readonly call: CallKind;
    readonly go: () => void;
  }> = [];
  private readonly done = new Set<Party>();
  private busy = false;
  private picking = false;
  private zombieThawed = false;

  constructor(
    private readonly rng: Prng,
    private readonly mode: InterleaveMode,
  ) {}

  /** Waits for this call's turn; call the returned function when the call is done. */
  async enter(party: Party, call: CallKind): Promise<() => void> {
    await new Promise<void>((resolve) => {
      this.waiting.push({ party, call, go: resolve });
      void this.pickNext();
    });
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.busy = false;
      void this.pickNext();
    };
  }

  /** A party's handler returned: it makes no more calls (and a frozen zombie may go on). */
  finished(party: Party): void {
    this.done.add(party);
    void this.pickNext();
  }

  private frozen(waiting: { readonly party: Party; readonly call: CallKind }): boolean {
    if (waiting.party !== 'zombie' || this.zombieThawed) return false;
    if (this.done.has('invocation')) {
      this.zombieThawed = true;
      return false;
    }
    return waiting.call === this.mode.freezeZombieBefore;
  }

  /** Every party still running has arrived at its next call. */
  private allArrived(): boolean {
    return (['invocation', 'zombie'] as const).every(
      (party) => this.done.has(party) || this.waiting.some((call) => call.party === party),
    );
  }

  private async pickNext(): Promise<void> {
    if (this.busy || this.picking || !this.allArrived()) return;
    this.picking = true;
    await settle();
    this.picking = false;
    if (this.busy || !this.allArrived()) return;
    const ready = this.waiting.filter((call) => !this.frozen(call));
    if (ready.length === 0) return;
    const parties = new Set(ready.map((call) => call.party));
    const party: Party =
      parties.size === 1 ? ready[0]!.party : this.rng.chance(this.mode.bias) ? 'invocation' : 'zombie';
    let chosen = this.rng.pick(ready.filter((call) => call.party === party));
    if (chosen.call === 'state.write') chosen = ready.find((call) => call.call === 'state.write')!;
    this.waiting.splice(this.waiting.indexOf(chosen), 1);
    this.busy = true;
    chosen.go();
  }
}
