import { partitionHashOf } from '../../reshard/partition-hash.js';

/** Kinesis maps a partition key to a shard by the MD5 of its UTF-8 bytes, read as an unsigned 128-bit integer. */
export const hashKeyOf: (partitionKey: string) => bigint = partitionHashOf;
