import type { PlannedBatch, PoisonedRecord } from '../../checkpoint/checkpoint-store.js';
import type { Sink } from '../../sinks/sink.js';
import type { BatchInput } from '../dead-letter.js';
import type { ExecuteDeps } from '../execute-batch.js';
import { type InputRowRef, inputOrder, originOf, rowsOf } from './poisoned-input.js';
import { probeBatch } from './probe.js';
import { ReadOnceStateStore } from './read-once-store.js';

/** Default cap on rows isolated per round; a batch with more poison takes several rounds. */
export const DEFAULT_MAX_POISON_PER_ROUND = 100;

export interface IsolationOptions {
  readonly execute: ExecuteDeps;
  readonly sink: Sink;
  /** Sources in plan order (the order rows are searched in). */
  readonly sources: readonly string[];
  /** @default {@link DEFAULT_MAX_POISON_PER_ROUND} */
  readonly maxPoison?: number;
}

/** What a round of isolation found, and how much work it took. */
export interface IsolationResult {
  /** Rows to set aside: the batch's earlier poison followed by the new finds. */
  readonly poisoned: readonly PoisonedRecord[];
  /** Rows found in this round (0: the failure is not caused by rows, or did not reproduce). */
  readonly found: number;
  readonly probes: number;
}

/**
 * Finds the input rows that make a batch fail deterministically, by replaying it in memory on
 * prefixes of its input (Lambda's bisect, done by the engine on the planned range, so the result
 * is the same on every replay):
 * ```
 * rows = the batch's input in a fixed order, minus rows already poisoned
 * if probe(all rows) passes: return nothing            // the failure was not deterministic
 * if probe(no rows) fails:   return nothing            // not caused by rows (e.g. eviction)
 * good = 0                                             // probe(rows[0, good)) passes
 * while probe(rows minus found) fails:
 *   search the smallest k > good with probe(rows[0, k) minus found) failing
 *     (binary search; after a first find, galloping from good first)
 *   found += rows[k-1], with the error of that probe as its reason; good = k
 * ```
 * Each find costs about log2(rows) probes; a probe runs the batch's operators, state limits and
 * the sink's checks, reading state once for all probes and writing nothing.
 */
export async function isolatePoison(
  batch: PlannedBatch,
  input: BatchInput,
  options: IsolationOptions,
): Promise<IsolationResult> {
  const earlier = batch.poisoned ?? [];
  const excluded = new Set(earlier.map((record) => `${record.source}\u0000${record.index}`));
  const order = inputOrder(input, options.sources).filter(
    (ref) => !excluded.has(`${ref.source}\u0000${ref.index}`),
  );
  const deps = { ...options.execute, stateStore: new ReadOnceStateStore(options.execute.stateStore) };
  const maxPoison = options.maxPoison ?? DEFAULT_MAX_POISON_PER_ROUND;
  let probes = 0;
  const found = new Set<number>();
  /** Probes the first `k` rows of `order`, without the rows found so far. */
  const probe = (k: number) => {
    probes++;
    const refs: InputRowRef[] = [];
    for (let i = 0; i < k; i++) if (!found.has(i)) refs.push(order[i]!);
    return probeBatch(deps, options.sink, batch, rowsOf(input, refs));
  };
  const none = { poisoned: earlier, found: 0 };
  if ((await probe(order.length)).ok) return { ...none, probes };
  if (!(await probe(0)).ok) return { ...none, probes };

  const poisoned: PoisonedRecord[] = [...earlier];
  let good = 0;
  while (found.size < maxPoison) {
    // probe(good) passes and probe(order.length) fails: find the first failing prefix between.
    let lo = good;
    let hi = order.length;
    let failure: unknown;
    if (found.size > 0) {
      // After a find, poison tends to follow soon (more rows of the same group): gallop first.
      for (let step = 1; lo + step < hi; step *= 2) {
        const result = await probe(lo + step);
        if (!result.ok) {
          hi = lo + step;
          failure = result.error;
          break;
        }
        lo += step;
      }
    }
    while (hi - lo > 1) {
      const mid = (lo + hi) >>> 1;
      const result = await probe(mid);
      if (result.ok) lo = mid;
      else {
        hi = mid;
        failure = result.error;
      }
    }
    if (failure === undefined) {
      const result = await probe(hi);
      if (result.ok) break; // cannot happen for a deterministic probe; stop rather than guess
      failure = result.error;
    }
    const ref = order[hi - 1]!;
    found.add(hi - 1);
    const position = originOf(input, ref)?.position;
    poisoned.push({
      source: ref.source,
      index: ref.index,
      ...(position === undefined ? {} : { position }),
      reason: reasonOf(failure),
    });
    good = hi;
    if (good >= order.length || (await probe(order.length)).ok) break;
  }
  return { poisoned, found: found.size, probes };
}

/** A dead letter's reason from an error: its code (when it has one) and message, bounded. */
export function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown })?.code;
  const name = (error as { name?: unknown })?.name;
  const message = (error as { message?: unknown })?.message ?? String(error);
  const head = typeof code === 'string' ? code : typeof name === 'string' ? name : 'Error';
  const text = `${head}: ${String(message)}`;
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}
