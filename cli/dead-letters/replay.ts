import { createHash } from 'node:crypto';
import { S3RequestError } from '../../engine/aws/errors.js';
import type { StoredDeadLetter } from '../../engine/aws/s3/dead-letter-format.js';
import { escapePathName, padBatchId, QueryObjects, S3_LAYOUT } from '../../engine/aws/s3/index.js';
import { CliError, InvalidOptionError, MissingSettingError } from '../errors.js';
import { type PushStats, RecordPusher } from '../push/record-pusher.js';
import { resolveStream } from '../push/resolve-stream.js';
import { translateS3Error } from '../query/read-results.js';
import { translateAwsError } from '../target/aws-errors.js';
import { STAGE_ONE_LABEL, STAGE_TWO_LABEL, sourceStreamOf, stageName } from '../target/query-stages.js';
import { requireBucket } from '../target/resolve.js';
import type { QueryLocation, Target } from '../target/target.js';
import { recordBytes, type StagedDeadLetter } from './select.js';

/**
 * Where replays are recorded, below the query root: one object per dead-letter object
 * (`_dead/_replayed/<batchId:020>-<shard>.json`) listing the letters already put back, so a second
 * replay does not send them twice by accident. It lives under `_dead/`, so it expires with the
 * letters (the construct's lifecycle rule), and readers never take it for a dead-letter object
 * (they follow manifests).
 */
export const REPLAY_MARKER_DIR = `${S3_LAYOUT.deadLetterDir}_replayed/`;

/** A replay marker, as stored. */
interface ReplayMarker {
  readonly replays: { readonly atMs: number; readonly stream: string; readonly letters: string[] }[];
}

/** What a replay did (or, dry, would do). */
export interface ReplayReport {
  /** The stream(s) put to, comma-separated when several source streams were. */
  readonly stream?: string;
  /** Letters put back on the stream (or that would be). */
  readonly replayed: readonly StagedDeadLetter[];
  /** Letters without record bytes (an operator rejected a decoded row): nothing to put back. */
  readonly withoutBytes: number;
  /**
   * Letters of a two-stage query's stage 2: exchange rows (a stage-1 partial aggregate stands for
   * many source records, some of them already counted), never put back on any stream.
   */
  readonly exchangeRows: number;
  /** Letters a previous replay already put back (sent again only with `again`). */
  readonly alreadyReplayed: number;
  readonly failed: number;
  readonly dryRun: boolean;
}

export interface ReplayOptions {
  /** The stream to put to; the local stack knows each query's own. */
  readonly stream?: string;
  readonly dryRun?: boolean;
  /** Send letters a previous replay already sent. */
  readonly again?: boolean;
  readonly nowMs?: () => number;
}

/**
 * Puts dead letters back on the stream as new records (same bytes, same partition key), after the
 * cause was fixed: new records with new sequence numbers, so the batches that set them aside are
 * untouched and exactly-once of everything committed still holds. Letters of one partition key
 * keep their order (strict order). Successfully sent letters are recorded in replay markers.
 *
 * A two-stage query's letters go by stage:
 * - **stage 1** (`stage-1`, `stage-1.<source>`): records the source stream delivered, set aside
 *   before the exchange (undecodable, invalid, poison, too large for an exchange record), so none
 *   of them reached stage 2. They go back to their SOURCE stream, never the internal one, and are
 *   counted once; replay markers live under the stage's own root.
 * - **stage 2**: rows read from the exchange, which a stage-1 partial aggregate may stand for many
 *   source records of (and which holds no source bytes). Putting them on the source stream would
 *   count the records again, and on the internal stream would break the exchange protocol: they
 *   are never sent, only counted in the report (`sluice dead-letters <q> --stage 2 --format jsonl`
 *   exports them).
 */
export async function replayDeadLetters(
  target: Target,
  query: QueryLocation,
  letters: readonly StagedDeadLetter[],
  options: ReplayOptions,
): Promise<ReplayReport> {
  const exchangeRows = letters.filter((letter) => letter.stage === STAGE_TWO_LABEL).length;
  const groups = new Map<string | undefined, StagedDeadLetter[]>();
  for (const letter of letters) {
    if (letter.stage === STAGE_TWO_LABEL) continue;
    groups.set(letter.stage, [...(groups.get(letter.stage) ?? []), letter]);
  }
  const sending = [...groups].filter(([, group]) => group.some((letter) => letter.data !== undefined));
  if (options.stream !== undefined && sending.length > 1) {
    throw new InvalidOptionError(
      '--stream',
      options.stream,
      `the letters come from several source streams (${sending.map(([label]) => label).join(', ')}): replay one stage at a time with --stage`,
    );
  }
  const reports: ReplayReport[] = [];
  for (const [label, group] of groups) {
    const location: QueryLocation = { ...query, name: stageName(query.name, label) };
    const source = label?.slice(STAGE_ONE_LABEL.length + 1) ?? '';
    // `<query>.stage-1.<source>` reads that source's stream (the local stack resolves the name).
    const stream =
      options.stream ?? (source === '' ? query.stream : (sourceStreamOf(target, source) ?? source));
    reports.push(
      await replayStage(target, location, group, {
        ...options,
        ...(stream === undefined ? {} : { stream }),
        ...(query.exchangeStream === undefined ? {} : { internalStream: query.exchangeStream }),
      }),
    );
  }
  const streams = [
    ...new Set(reports.flatMap((report) => (report.stream === undefined ? [] : [report.stream]))),
  ];
  return {
    ...(streams.length === 0 ? {} : { stream: streams.join(', ') }),
    replayed: reports.flatMap((report) => report.replayed),
    withoutBytes: reports.reduce((sum, report) => sum + report.withoutBytes, 0),
    exchangeRows,
    alreadyReplayed: reports.reduce((sum, report) => sum + report.alreadyReplayed, 0),
    failed: reports.reduce((sum, report) => sum + report.failed, 0),
    dryRun: options.dryRun === true,
  };
}

/** Replays the letters of one stage (or of a one-stage query) to one stream. */
async function replayStage(
  target: Target,
  query: QueryLocation,
  letters: readonly StagedDeadLetter[],
  options: ReplayOptions & { readonly internalStream?: string },
): Promise<ReplayReport> {
  const bucket = requireBucket(query);
  const objects = QueryObjects.at({
    client: target.clients.s3,
    bucket,
    prefix: query.prefix,
    query: query.name,
  });
  const withBytes = letters.filter((letter) => letter.data !== undefined);
  const markers = new Map<string, ReplayMarker>();
  try {
    for (const key of new Set(withBytes.map(markerKey))) markers.set(key, await readMarker(objects, key));
  } catch (error) {
    throw translateS3Error(error, target, bucket);
  }
  const sent = (letter: StoredDeadLetter) =>
    markers.get(markerKey(letter))?.replays.some((replay) => replay.letters.includes(letterId(letter))) ??
    false;
  const due = options.again === true ? withBytes : withBytes.filter((letter) => !sent(letter));
  const base = {
    withoutBytes: letters.length - withBytes.length,
    exchangeRows: 0,
    alreadyReplayed: withBytes.length - due.length,
  };
  const streamName = options.stream ?? query.stream;
  if (options.dryRun === true || due.length === 0)
    return {
      ...base,
      replayed: due,
      failed: 0,
      dryRun: options.dryRun === true,
      ...(streamName === undefined ? {} : { stream: streamName }),
    };
  if (streamName === undefined)
    throw new MissingSettingError('stream to replay to', '--stream', 'SLUICE_STREAM');
  if (options.internalStream !== undefined && streamName === options.internalStream)
    throw new InvalidOptionError(
      '--stream',
      streamName,
      "that is the query's internal (exchange) stream: dead letters go back to the source stream",
    );
  const { stream } = await resolveStream(target, streamName);

  const pusher = new RecordPusher({
    client: target.clients.kinesis,
    stream,
    strictOrder: true,
    onCallError: (error) => {
      const translated = translateAwsError(error, target, 'kinesis');
      return translated === error ? undefined : translated;
    },
  });
  for (const [index, letter] of due.entries()) {
    await pusher.push({
      partitionKey: letter.partitionKey ?? REPLAY_PARTITION_KEY,
      data: recordBytes(letter)!,
      lineNumber: index,
    });
  }
  const stats: PushStats = await pusher.flush();
  const failedIndexes = new Set(stats.failed.map((failure) => failure.lineNumber));
  const replayed = due.filter((_, index) => !failedIndexes.has(index));
  await recordReplays(objects, markers, replayed, stream, (options.nowMs ?? Date.now)()).catch((error) => {
    throw translateS3Error(error, target, bucket);
  });
  return { ...base, stream, replayed, failed: stats.failed.length, dryRun: false };
}

/** Partition key of a letter that kept none (it did not come from Kinesis). */
const REPLAY_PARTITION_KEY = 'sluice-replay';

function markerKey(letter: StoredDeadLetter): string {
  return `${REPLAY_MARKER_DIR}${padBatchId(letter.batchId)}-${escapePathName(letter.shard)}.json`;
}

/** A letter's identity in its batch: its sequence number, or a hash of its bytes when it has none. */
function letterId(letter: StoredDeadLetter): string {
  return (
    letter.position ??
    `sha256:${createHash('sha256')
      .update(letter.data ?? '')
      .digest('hex')}`
  );
}

async function readMarker(objects: QueryObjects, key: string): Promise<ReplayMarker> {
  try {
    return JSON.parse(new TextDecoder().decode(await objects.get(key))) as ReplayMarker;
  } catch (error) {
    const name = (error instanceof S3RequestError ? (error.cause as { name?: string }) : undefined)?.name;
    if (name === 'NoSuchKey') return { replays: [] };
    throw error;
  }
}

async function recordReplays(
  objects: QueryObjects,
  markers: ReadonlyMap<string, ReplayMarker>,
  replayed: readonly StoredDeadLetter[],
  stream: string,
  atMs: number,
): Promise<void> {
  const byKey = new Map<string, string[]>();
  for (const letter of replayed) {
    const key = markerKey(letter);
    byKey.set(key, [...(byKey.get(key) ?? []), letterId(letter)]);
  }
  for (const [key, ids] of byKey) {
    const marker: ReplayMarker = {
      replays: [...(markers.get(key)?.replays ?? []), { atMs, stream, letters: ids }],
    };
    await objects.put(
      key,
      new TextEncoder().encode(`${JSON.stringify(marker, null, 2)}\n`),
      'application/json',
    );
  }
}

/** Some letters could not be put back after every retry. */
export class ReplayIncompleteError extends CliError {
  constructor(failed: number) {
    super(
      'SLUICE_CLI_REPLAY_INCOMPLETE',
      `${failed} dead letter${failed === 1 ? ' was' : 's were'} not put back after every retry (throttling?): run the same command again; letters already sent are recorded and skipped.`,
      { context: { failed } },
    );
  }
}

/** `replayed 3 dead letters of page-views to page-views-stream (batches 4, 7); 1 without record bytes skipped` */
export function summarizeReplay(query: string, report: ReplayReport): string {
  const count = report.replayed.length;
  const batches = [...new Set(report.replayed.map((letter) => letter.batchId))];
  const notes = [
    ...(report.withoutBytes > 0 ? [`${report.withoutBytes} without record bytes skipped`] : []),
    ...(report.exchangeRows > 0
      ? [
          `${report.exchangeRows} of stage 2 not replayed (exchange rows, not source records: sluice dead-letters ${query} --stage 2 --format jsonl exports them)`,
        ]
      : []),
    ...(report.alreadyReplayed > 0
      ? [`${report.alreadyReplayed} replayed before skipped (--again sends them again)`]
      : []),
    ...(report.failed > 0 ? [`${report.failed} failed`] : []),
  ];
  const verb = report.dryRun ? 'would replay' : 'replayed';
  return (
    `${verb} ${count} dead letter${count === 1 ? '' : 's'} of ${query}` +
    `${report.stream === undefined || count === 0 ? '' : ` to ${report.stream}`}` +
    `${batches.length === 0 ? '' : ` (batch${batches.length === 1 ? '' : 'es'} ${batches.join(', ')})`}` +
    `${notes.length === 0 ? '' : `; ${notes.join(', ')}`}`
  );
}
