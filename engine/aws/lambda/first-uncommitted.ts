import {
  isAfter,
  isHeartbeat,
  type SequenceNumber,
  type ShardRecord,
  sortBySequenceNumber,
} from '../kinesis/index.js';

/**
 * The record Lambda should redeliver from: the first input record (not a heartbeat: heartbeats
 * are never part of a batch) after the committed sequence number, or `undefined` when every
 * record of the event is committed. Reporting it as the batch item
 * failure makes Lambda checkpoint everything before it and retry from it.
 */
export function firstUncommitted(
  records: readonly ShardRecord[],
  committed: SequenceNumber | undefined,
): SequenceNumber | undefined {
  const ordered = sortBySequenceNumber(records, (record) => record.sequenceNumber);
  return ordered.find((record) => !isHeartbeat(record) && isAfter(record.sequenceNumber, committed))
    ?.sequenceNumber;
}
