import type { BatchPhase } from '../../../engine/index.js';
import { CALL_KINDS, type CallKind } from './call-kinds.js';
import type { Fault } from './invocation-faults.js';
import type { Prng } from './prng.js';

/** Crash targets of one-stage queries (the exchange's calls never happen there). */
const CRASH_TARGETS: readonly CallKind[] = CALL_KINDS.filter(
  (kind) => kind !== 'other' && !kind.startsWith('exchange.'),
);
/** Crash targets of two-stage queries: every call, the exchange's puts and listing included. */
export const TWO_STAGE_CRASH_TARGETS: readonly CallKind[] = CALL_KINDS.filter((kind) => kind !== 'other');
const THROTTLE_TARGETS: readonly CallKind[] = [
  'checkpoint.read',
  'batchId.allocate',
  'wal.plan',
  'checkpoint.commit',
  'state.read',
  'state.query',
  'state.write',
  's3.data',
  's3.deadLetters',
  's3.manifest',
  's3.progress',
  'kinesis.getRecords',
];
const PHASES: readonly BatchPhase[] = ['walCommit', 'getBatch', 'addBatch', 'commitState', 'commitOffsets'];

/**
 * The faults of one invocation: usually one crash (before or after the n-th call of any kind, of
 * a named kind, or after a batch phase), sometimes none, and often a throttled call on top
 * (retried away by the SDK, or failing after `maxAttempts`).
 */
export function chooseFaults(
  rng: Prng,
  maxAttempts: number,
  twoStage?: { readonly partialPuts: boolean },
): Fault[] {
  const faults: Fault[] = [];
  const targets = twoStage === undefined ? CRASH_TARGETS : TWO_STAGE_CRASH_TARGETS;
  const when = () => (rng.chance(0.5) ? 'before' : 'after');
  switch (rng.weighted({ none: 15, anyCall: 35, namedCall: 30, phase: 20 })) {
    case 'anyCall':
      faults.push({ kind: 'crash', when: when(), target: 'any', nth: rng.int(1, 18) });
      break;
    case 'namedCall':
      faults.push({
        kind: 'crash',
        when: when(),
        // Two stages: often the exchange's own puts (a stage-1 batch makes one of each per partition).
        target:
          twoStage !== undefined && rng.chance(0.4)
            ? rng.pick(['exchange.rows', 'exchange.marker'] as const)
            : rng.pick(targets),
        nth: rng.int(1, 2),
      });
      break;
    case 'phase':
      faults.push({ kind: 'phase', phase: rng.pick(PHASES), nth: rng.int(1, 2) });
      break;
    case 'none':
      break;
  }
  if (rng.chance(0.35)) {
    faults.push({
      kind: 'throttle',
      target: rng.pick(THROTTLE_TARGETS),
      nth: rng.int(1, 2),
      failures: rng.int(1, maxAttempts),
    });
  }
  // A PutRecords of the exchange that Kinesis takes only in part: the rest rejected (the writer
  // re-sends it), or the process dies right after the part landed.
  if (twoStage?.partialPuts === true && rng.chance(0.3)) {
    faults.push({
      kind: 'partial',
      target: rng.pick(['exchange.rows', 'exchange.marker'] as const),
      nth: rng.int(1, 2),
      after: rng.pick(['retry', 'crash'] as const),
    });
  }
  return faults;
}

/** How the simulated event source mapping picks an event's records. */
export type DeliveryKind = 'next' | 'redeliver' | 'first-half' | 'second-half' | 'superset';

/** An inclusive range of record indexes in a shard. */
export interface IndexRange {
  readonly from: number;
  readonly to: number;
}

/**
 * The next event of a shard: the records after Lambda's position, or (as after a crash, a
 * timeout or bisect-on-error) the last event again, its first or second half, or the last event
 * plus following records. `resumeAt` is the first record after the last planned or committed
 * batch: an event never starts after it, as Lambda never skips a record it was not told is done.
 */
export function chooseDelivery(
  rng: Prng,
  shard: { readonly position: number; readonly last?: IndexRange; readonly size: number },
  resumeAt: number,
): { readonly kind: DeliveryKind; readonly range: IndexRange } {
  const last = shard.last;
  let kind = rng.weighted<DeliveryKind>({
    next: 50,
    redeliver: 15,
    'first-half': 10,
    'second-half': 8,
    superset: 12,
  });
  if (last === undefined) kind = 'next';
  let from: number;
  let to: number;
  if (last === undefined || kind === 'next') {
    from = shard.position;
    to = from + rng.int(2, 24) - 1;
  } else {
    const length = last.to - last.from + 1;
    switch (kind) {
      case 'first-half':
        from = last.from;
        to = last.from + Math.floor((length - 1) / 2);
        break;
      case 'second-half':
        from = last.from + Math.floor(length / 2);
        to = last.to;
        break;
      case 'superset':
        from = Math.max(0, last.from - rng.int(0, 2));
        to = last.to + rng.int(1, 8);
        break;
      default:
        from = last.from;
        to = last.to;
    }
  }
  from = Math.min(from, resumeAt, shard.size - 1);
  to = Math.min(Math.max(from, to), shard.size - 1);
  return { kind, range: { from, to } };
}
