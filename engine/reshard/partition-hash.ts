import { createHash } from 'node:crypto';

/**
 * The hash that places a partition key in a shard's hash range: the MD5 of its UTF-8 bytes read as
 * an unsigned 128-bit integer, as Kinesis does. The engine needs it (not only the AWS layer) to
 * tell which inherited watermark floor governs a key after a reshard (see `watermark-floors.ts`).
 */
export function partitionHashOf(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}
