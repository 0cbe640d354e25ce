import type { FetchGap } from './gap-fetch.js';
import { isHeartbeat } from './heartbeat.js';
import { compareSequenceNumbers, firstIndexAfter, type SequenceNumber } from './sequence-numbers.js';
import type { ShardRecord } from './shard-record.js';

/** Default cap on the records read back for one gap per invocation (the rest: next invocation). */
export const DEFAULT_MAX_GAP_RECORDS = 10_000;

/**
 * Records Lambda did not deliver between the committed position and an event (it discarded them
 * after its retries or their maximum age, or a mapping without batch item failures moved on), found
 * still held by Kinesis and processed in order before the event's records.
 */
export interface InputGap {
  /** The committed position: the gap starts right after it. */
  readonly after: SequenceNumber;
  /** The first record the event delivered after the committed position. */
  readonly before: SequenceNumber;
  /** Data records (heartbeats not counted) found in the gap and processed now. */
  readonly records: number;
  /** False when the gap holds more than the per-invocation cap: the rest is read by the next invocation. */
  readonly complete: boolean;
  /**
   * Kinesis no longer holds the committed record itself (past the stream's retention): records
   * between it and the oldest one still held may be lost, and nothing can count them.
   */
  readonly pastRetention: boolean;
}

/** The records to plan batches from: the event's, with a gap's records in front when there was one. */
export interface GapFill {
  readonly records: readonly ShardRecord[];
  readonly gap?: InputGap;
}

/**
 * Makes the committed position, not what Lambda delivered, decide where the next batch starts:
 *
 * ```
 * event holds a record at or before `committed`  → contiguous (Lambda delivers runs): nothing to read
 * else gap = fetchGap(committed, first event record after it)   // one GetShardIterator + GetRecords
 *   no data record in it (none, or only heartbeats) → the event as it is
 *   complete   → gap records + the event's records
 *   incomplete → the gap's records only (the event's wait: the handler names its first record,
 *                so Lambda redelivers it and the next invocation reads on)
 * ```
 * A gap of heartbeats only is left out, so batch ranges are exactly those of a check-free run.
 */
export async function fillGap(
  ordered: readonly ShardRecord[],
  keys: readonly SequenceNumber[],
  committed: SequenceNumber,
  fetchGap: FetchGap,
  maxGapRecords: number,
): Promise<GapFill> {
  const next = firstIndexAfter(keys, committed);
  if (next !== 0 || ordered.length === 0) return { records: ordered };
  const before = ordered[0]!.sequenceNumber;
  const fetched = await fetchGap(committed, before, maxGapRecords);
  const data = fetched.records.filter((record) => !isHeartbeat(record)).length;
  if (data === 0) return { records: ordered };
  const gap: InputGap = {
    after: committed,
    before,
    records: data,
    complete: fetched.complete,
    pastRetention: !fetched.afterHeld,
  };
  // Defensive: only records strictly inside (committed, before), in order.
  const inside = fetched.records.filter(
    (record) =>
      compareSequenceNumbers(record.sequenceNumber, committed) > 0 &&
      compareSequenceNumbers(record.sequenceNumber, before) < 0,
  );
  return { records: fetched.complete ? [...inside, ...ordered] : inside, gap };
}
