import type { StoredDeadLetter } from '../../engine/aws/s3/dead-letter-format.js';
import { S3OutputReader } from '../../engine/aws/s3/index.js';
import { InvalidOptionError } from '../errors.js';
import { translateS3Error } from '../query/read-results.js';
import { type QueryStage, queryStages, STAGE_ONE_LABEL, STAGE_TWO_LABEL } from '../target/query-stages.js';
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
  /**
   * A two-stage query's stage: `1` (every stage 1), `2`, or a label such as `stage-1.orders`.
   */
  readonly stage?: string;
}

/**
 * A dead letter as the commands show it: the stored letter, and for a two-stage query the stage
 * that set it aside (`stage-1`, `stage-1.<source>` or `stage-2`).
 */
export interface StagedDeadLetter extends StoredDeadLetter {
  readonly stage?: string;
}

/** `--stage`: `1`, `2`, `stage-1`, `stage-2` or a full label such as `stage-1.orders`. */
export function parseStageSelector(text: string): (label: string | undefined) => boolean {
  const wanted = text.trim();
  if (wanted === '1' || wanted === STAGE_ONE_LABEL)
    return (label) => label === STAGE_ONE_LABEL || (label?.startsWith(`${STAGE_ONE_LABEL}.`) ?? false);
  if (wanted === '2' || wanted === STAGE_TWO_LABEL) return (label) => label === STAGE_TWO_LABEL;
  if (wanted.startsWith(`${STAGE_ONE_LABEL}.`)) return (label) => label === wanted;
  throw new InvalidOptionError('--stage', text, 'give 1, 2 or a stage-1 label such as stage-1.orders');
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
 * outputs: a crashed attempt's objects are never shown), in batch order, filtered. A two-stage
 * query's stage 1s keep theirs under their own names (`<query>.stage-1…`): they are read too,
 * stage 1s first, each letter labelled with its stage.
 */
export async function selectDeadLetters(
  target: Target,
  query: QueryLocation,
  filter: DeadLetterFilter,
): Promise<StagedDeadLetter[]> {
  const inBatch = filter.batch === undefined ? undefined : parseBatchSelector(filter.batch);
  const reason = filter.reason === undefined ? undefined : parseReason(filter.reason);
  const inStage = filter.stage === undefined ? undefined : parseStageSelector(filter.stage);
  const bucket = requireBucket(query);
  const stages = (await queryStages(target, query)).filter(
    (stage) => inStage === undefined || inStage(stage.label),
  );
  const letters = (await Promise.all(stages.map((stage) => readStage(target, stage, bucket)))).flat();
  return letters.filter(
    (letter) =>
      (inBatch === undefined || inBatch(letter.batchId)) &&
      (reason === undefined || reason.test(letter.reason)) &&
      (filter.shard === undefined || letter.shard === filter.shard),
  );
}

async function readStage(target: Target, stage: QueryStage, bucket: string): Promise<StagedDeadLetter[]> {
  try {
    const reader = new S3OutputReader({
      client: target.clients.s3,
      bucket,
      prefix: stage.location.prefix,
      query: stage.location.name,
    });
    const letters = await reader.readDeadLetters();
    return stage.label === undefined ? letters : letters.map((letter) => ({ stage: stage.label, ...letter }));
  } catch (error) {
    throw translateS3Error(error, target, bucket);
  }
}

/** The original record bytes of a letter, when it kept them. */
export function recordBytes(letter: StoredDeadLetter): Uint8Array | undefined {
  return letter.data === undefined ? undefined : new Uint8Array(Buffer.from(letter.data, 'base64'));
}
