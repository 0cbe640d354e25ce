/**
 * The partition key of heartbeat records. The scheduled ticker puts one such record into each
 * quiet shard (with an explicit hash key inside the shard's range) so the shard's function runs
 * and can do a due no-data batch (closing windows, processing-time timeouts). The edge never
 * treats these records as input. Producers must not use this partition key for data.
 */
export const HEARTBEAT_PARTITION_KEY = '__sluice_heartbeat__';

/** Format version of the heartbeat payload, so a future ticker can change it. */
export const HEARTBEAT_FORMAT_VERSION = 1;

/** True for a record the ticker wrote. Only the partition key decides; the payload is informational. */
export function isHeartbeat(record: { readonly partitionKey: string }): boolean {
  return record.partitionKey === HEARTBEAT_PARTITION_KEY;
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
