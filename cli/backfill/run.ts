import type { BackfillShardResult } from '../../engine/aws/backfill/backfill.js';
import { type BackfillInput, type BackfillResult, runBackfill } from '../../engine/aws/backfill/backfill.js';
import { InvalidOptionError, MissingSettingError } from '../errors.js';
import { readLocalState, writeLocalState } from '../target/local-state.js';
import { requireBucket, requireTable } from '../target/resolve.js';
import type { Target } from '../target/target.js';
import { loadQuery } from './load-query.js';

/** What `sluice backfill` was asked to do. */
export interface BackfillRequest {
  readonly query: string;
  /** The backfill's own name. @default `${query}-backfill` */
  readonly as?: string;
  /** `s3://bucket/prefix/` of JSON Lines objects; otherwise the query's stream. */
  readonly input?: string;
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly queryModule?: string;
  readonly maxRecordsPerBatch?: number;
  readonly state?: 's3' | 'dynamodb';
  /** Progress lines (standard error). */
  readonly log?: (line: string) => void;
}

/** `s3://bucket/prefix` → bucket and prefix, or a one-line error. */
export function parseS3Url(text: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(text);
  if (match === null)
    throw new InvalidOptionError('--input', text, 'give s3://BUCKET/PREFIX/ of JSON Lines objects');
  return { bucket: match[1]!, prefix: match[2]! };
}

/**
 * Runs the query's deployed code path over a range of its stream or over S3 objects, under its
 * own name, and stops (Trigger.AvailableNow). Locally the backfill is recorded in
 * `.sluice/local.json` so `status`, `query` and `dead-letters` know its name.
 */
export async function backfill(target: Target, request: BackfillRequest): Promise<BackfillResult> {
  const location = target.query(request.query);
  const query = await loadQuery(request.query, request.queryModule);
  const name = request.as ?? `${request.query}-backfill`;
  if (name === request.query) {
    throw new InvalidOptionError(
      '--as',
      name,
      'name the backfill differently from the query: it keeps its own checkpoints and outputs',
    );
  }
  let input: BackfillInput;
  if (request.input !== undefined) {
    if (request.fromMs !== undefined || request.toMs !== undefined) {
      throw new InvalidOptionError(
        '--from/--to',
        request.input,
        'time bounds apply to the stream only; leave them out with --input',
      );
    }
    input = { kind: 's3', ...parseS3Url(request.input) };
  } else {
    if (location.stream === undefined)
      throw new MissingSettingError('Kinesis stream', '--stream', 'SLUICE_STREAM');
    input = {
      kind: 'kinesis',
      stream: location.stream,
      ...(request.fromMs === undefined ? {} : { fromMs: request.fromMs }),
      ...(request.toMs === undefined ? {} : { toMs: request.toMs }),
    };
  }
  if (target.mode === 'local') await recordLocalBackfill(name, request.query);
  return runBackfill({
    query,
    name,
    input,
    clients: target.clients,
    tableName: requireTable(location),
    bucket: requireBucket(location),
    prefix: location.prefix,
    region: target.region,
    ...(request.state === undefined ? {} : { state: request.state }),
    ...(request.maxRecordsPerBatch === undefined ? {} : { maxRecordsPerBatch: request.maxRecordsPerBatch }),
    onProgress: (shard) => request.log?.(progressLine(shard)),
  });
}

/** Adds the backfill to the local stack's state file (once). */
async function recordLocalBackfill(name: string, of: string): Promise<void> {
  const state = await readLocalState();
  if (state === undefined || state.backfills.some((entry) => entry.name === name)) return;
  await writeLocalState({ ...state, backfills: [...state.backfills, { name, of }] });
}

function progressLine(shard: BackfillShardResult): string {
  return `${shard.shardId}: ${shard.records} records read, ${shard.batches} batches committed${shard.committedSeq === undefined ? '' : ` (through ${shard.committedSeq})`}`;
}

/** The summary printed at the end. */
export function renderBackfill(result: BackfillResult): string {
  const lines = result.shards.map(
    (shard) =>
      `${shard.shardId}  records ${shard.records}  batches ${shard.batches}  last batch ${shard.lastBatchId ?? '-'}  watermark ${shard.watermarkMs === undefined ? '-' : new Date(shard.watermarkMs).toISOString()}`,
  );
  return `backfill '${result.name}' done\n${lines.join('\n')}\nresults: sluice query ${result.name}\n`;
}
