import { createHash } from 'node:crypto';

/** Kinesis maps a partition key to a shard by the MD5 of its UTF-8 bytes, read as an unsigned 128-bit integer. */
export function hashKeyOf(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}
