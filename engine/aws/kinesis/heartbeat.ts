/**
 * The partition key of heartbeat records. The scheduled ticker puts one such record into each
 * quiet shard (with an explicit hash key inside the shard's range) so the shard's function runs
 * and can do a due no-data batch (closing windows, processing-time timeouts). The edge never
 * treats these records as input; a heartbeat is recognized by this key and its payload together.
 */
export const HEARTBEAT_PARTITION_KEY = '__sluice_heartbeat__';

/** Format version of the heartbeat payload, so a future ticker can change it. */
export const HEARTBEAT_FORMAT_VERSION = 1;

/**
 * True for a record the ticker wrote: the heartbeat partition key *and* the heartbeat payload
 * (`{"sluice":"heartbeat",...}`). A data record that happens to use the key is not a heartbeat: it
 * is decoded like any other record (and becomes a row or a dead letter, never disappears).
 * Records without a payload at hand (`data` absent) are judged by the key alone.
 */
export function isHeartbeat(record: { readonly partitionKey: string; readonly data?: string }): boolean {
  if (record.partitionKey !== HEARTBEAT_PARTITION_KEY) return false;
  if (record.data === undefined) return true;
  return hasHeartbeatMarker(record.data);
}

/** The payload (base64) is a heartbeat's JSON: `sluice: 'heartbeat'` and a known format version. */
function hasHeartbeatMarker(base64: string): boolean {
  if (base64.length > 400) return false; // a heartbeat is about 60 bytes
  try {
    const value = JSON.parse(Buffer.from(base64, 'base64').toString('utf8')) as Record<string, unknown>;
    return (
      value !== null &&
      typeof value === 'object' &&
      value.sluice === 'heartbeat' &&
      typeof value.v === 'number'
    );
  } catch {
    return false;
  }
}

/**
 * The payload of a heartbeat record: small JSON naming what it is and when it was sent, which
 * helps when someone reads the stream by hand.
 *
 * @example
 * await kinesis.send(new PutRecordCommand({
 *   StreamName: stream,
 *   PartitionKey: HEARTBEAT_PARTITION_KEY,
 *   ExplicitHashKey: shard.HashKeyRange.StartingHashKey, // lands in that shard
 *   Data: heartbeatRecordData(Date.now()),
 * }));
 */
export function heartbeatRecordData(sentAtMs: number = Date.now()): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({ sluice: 'heartbeat', v: HEARTBEAT_FORMAT_VERSION, sentAt: sentAtMs }),
  );
}
