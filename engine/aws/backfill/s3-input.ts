import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { PartitionKeySpec } from '../kinesis/decode-record.js';
import type { SequenceNumber } from '../kinesis/sequence-numbers.js';
import type { ShardRecord } from '../kinesis/shard-record.js';
import { BackfillInputError } from './errors.js';

/** Lines per object a position can address (the sequence number is `object × this + line`). */
const LINES_PER_OBJECT = 10_000_000_000n;

/** JSON Lines objects under an S3 prefix, read as the records of one shard. */
export interface S3InputOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Every object under it, in key order. */
  readonly prefix: string;
  /** Resume after this position (the backfill's committed position). */
  readonly after?: SequenceNumber;
  /** The source's declared partition key: each record gets the key its row expects. */
  readonly partitionKey?: PartitionKeySpec;
  /** @default 10_000 */
  readonly pageSize?: number;
}

/** The position of line `line` (0-based) of the `object`-th object (0-based, key order). */
export function s3InputPosition(object: number, line: number): SequenceNumber {
  return (BigInt(object + 1) * LINES_PER_OBJECT + BigInt(line + 1)).toString();
}

/**
 * Reads JSON Lines objects as Kinesis-shaped records of one shard, so a backfill runs them through
 * the same edge, batches and checkpoints as stream records. Each non-blank line is one record;
 * its position (sequence number) is made of the object's index in key order and the line's, so a
 * rerun resumes after the committed line as long as the objects already read do not change.
 * The partition key is computed from the line by the source's rule (a line without it keeps `''`,
 * and the edge dead-letters it, as it would on the stream).
 */
export async function* readS3Input(options: S3InputOptions): AsyncGenerator<ShardRecord[]> {
  const pageSize = options.pageSize ?? 10_000;
  const after = options.after === undefined ? 0n : BigInt(options.after);
  const keys = await listKeys(options);
  if (keys.length === 0) {
    throw new BackfillInputError(
      `s3://${options.bucket}/${options.prefix} holds no objects; point --input at a prefix with JSON Lines objects.`,
    );
  }
  let page: ShardRecord[] = [];
  for (
    let object = Number(after / LINES_PER_OBJECT) - (after === 0n ? 0 : 1);
    object < keys.length;
    object++
  ) {
    const text = await getText(options.client, options.bucket, keys[object]!);
    const lines = text.split('\n');
    for (let line = 0; line < lines.length; line++) {
      const body = lines[line]!.replace(/\r$/, '');
      if (body.trim() === '') continue;
      const sequenceNumber = s3InputPosition(object, line);
      if (BigInt(sequenceNumber) <= after) continue;
      page.push({
        sequenceNumber,
        partitionKey: partitionKeyOf(body, options.partitionKey),
        data: Buffer.from(body, 'utf8').toString('base64'),
      });
      if (page.length >= pageSize) {
        yield page;
        page = [];
      }
    }
  }
  if (page.length > 0) yield page;
}

/** The partition key a producer would have put the line with (`''` when the line does not tell). */
function partitionKeyOf(line: string, rule: PartitionKeySpec | undefined): string {
  if (rule === undefined) return 'backfill';
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch {
    return '';
  }
  if (typeof row !== 'object' || row === null) return '';
  try {
    const value =
      typeof rule === 'function'
        ? rule(row as Record<string, unknown>)
        : (row as Record<string, unknown>)[rule];
    return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : '';
  } catch {
    return '';
  }
}

async function listKeys(options: S3InputOptions): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await options.client
      .send(
        new ListObjectsV2Command({
          Bucket: options.bucket,
          Prefix: options.prefix,
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      )
      .catch((error: unknown) => {
        throw new BackfillInputError(
          `Listing s3://${options.bucket}/${options.prefix} failed: ${(error as Error).message}; check the bucket name and the s3:ListBucket permission.`,
          error,
        );
      });
    for (const object of page.Contents ?? []) {
      if (object.Key !== undefined && !object.Key.endsWith('/')) keys.push(object.Key);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys.sort();
}

async function getText(client: S3Client, bucket: string, key: string): Promise<string> {
  try {
    const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return (await response.Body?.transformToString('utf8')) ?? '';
  } catch (error) {
    throw new BackfillInputError(
      `Reading s3://${bucket}/${key} failed: ${(error as Error).message}; check the s3:GetObject permission.`,
      error,
    );
  }
}
