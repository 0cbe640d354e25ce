import type { StoredDeadLetter } from '../../engine/aws/s3/dead-letter-format.js';
import { S3OutputReader } from '../../engine/aws/s3/index.js';
import { InvalidOptionError } from '../errors.js';
import { translateS3Error } from '../query/read-results.js';
import { requireBucket } from '../target/resolve.js';
import type { QueryLocation, Target } from '../target/target.js';

/** Which dead letters a command works on; every filter is optional and they combine with AND. */
export interface DeadLetterFilter {
  /** Batch ids and ranges, e.g. `12`, `3-7`, `1,4,9-12`. */
  readonly batch?: string;
  /** A regular expression (case-insensitive) the reason must match. */
  readonly reason?: string;
  /** The shard id that set the letters aside. */
  readonly shard?: string;
}

/** `1,4,9-12` → a membership test; anything else is a one-line error saying the syntax. */
export function parseBatchSelector(text: string): (batchId: number) => boolean {
  const ranges = text.split(',').map((part) => {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (match === null)
      throw new InvalidOptionError('--batch', text, 'give batch ids and ranges, e.g. 12 or 3-7 or 1,4,9-12');
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from)
      throw new InvalidOptionError('--batch', text, `the range ${part.trim()} ends before it starts`);
    return [from, to] as const;
  });
  return (batchId) => ranges.some(([from, to]) => batchId >= from && batchId <= to);
}

function parseReason(text: string): RegExp {
  try {
    return new RegExp(text, 'i');
  } catch (error) {
    throw new InvalidOptionError('--reason', text, `not a regular expression (${(error as Error).message})`);
  }
}

/**
 * The dead letters of a query's committed batches (those with a manifest, as `sluice query` reads
 * outputs: a crashed attempt's objects are never shown), in batch order, filtered.
 */
export async function selectDeadLetters(
  target: Target,
  query: QueryLocation,
  filter: DeadLetterFilter,
): Promise<StoredDeadLetter[]> {
  const inBatch = filter.batch === undefined ? undefined : parseBatchSelector(filter.batch);
  const reason = filter.reason === undefined ? undefined : parseReason(filter.reason);
  const bucket = requireBucket(query);
  let letters: StoredDeadLetter[];
  try {
    const reader = new S3OutputReader({
      client: target.clients.s3,
      bucket,
      prefix: query.prefix,
      query: query.name,
    });
    letters = await reader.readDeadLetters();
  } catch (error) {
    throw translateS3Error(error, target, bucket);
  }
  return letters.filter(
    (letter) =>
      (inBatch === undefined || inBatch(letter.batchId)) &&
      (reason === undefined || reason.test(letter.reason)) &&
      (filter.shard === undefined || letter.shard === filter.shard),
  );
}

/** The original record bytes of a letter, when it kept them. */
export function recordBytes(letter: StoredDeadLetter): Uint8Array | undefined {
  return letter.data === undefined ? undefined : new Uint8Array(Buffer.from(letter.data, 'base64'));
}
