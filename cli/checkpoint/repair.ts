import {
  type CheckpointRepair,
  CheckpointRepairError,
  resetWatermark,
  skipThrough,
} from '../../engine/aws/dynamodb/checkpoint-admin.js';
import { AwsRequestError } from '../../engine/aws/errors.js';
import { CliError, InvalidOptionError, NoSuchResourceError } from '../errors.js';
import { readCheckpoints } from '../status/checkpoints.js';
import { awsErrorName, translateAwsError } from '../target/aws-errors.js';
import { requireTable } from '../target/resolve.js';
import type { QueryLocation, Target } from '../target/target.js';

/** `2026-01-15T09:00:00Z` or epoch milliseconds → epoch milliseconds; else a one-line error. */
export function parseTime(option: string, text: string): number {
  const ms = /^\d+$/.test(text.trim()) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new InvalidOptionError(
      option,
      text,
      'give an ISO-8601 time (2026-01-15T09:00:00Z) or epoch milliseconds',
    );
  return ms;
}

/**
 * Lowers the watermark of the named shards, or of every shard with a commit when none is named
 * (a query's shards each keep their own watermark, and a far-future event time usually reached
 * only one of them: shards whose watermark is already at or below the time are left as they are).
 */
export async function resetWatermarks(
  target: Target,
  query: QueryLocation,
  shards: readonly string[] | undefined,
  toMs: number,
  force: boolean,
): Promise<{ repairs: CheckpointRepair[]; unchanged: string[] }> {
  const options = adminOptions(target, query);
  const named = shards !== undefined && shards.length > 0;
  const candidates = named
    ? shards
    : (await readCheckpoints(target, query))
        .filter((shard) => shard.committed !== undefined)
        .map((shard) => shard.shard);
  if (candidates.length === 0)
    throw new CliError(
      'SLUICE_CLI_NO_SHARDS',
      `Query '${query.name}' has no committed shard ${target.where}: check the query name and --table (sluice status lists its shards).`,
      { exitCode: 2 },
    );
  const repairs: CheckpointRepair[] = [];
  const unchanged: string[] = [];
  for (const shard of candidates) {
    try {
      repairs.push(await resetWatermark(options, shard, toMs, { force }));
    } catch (error) {
      // Without --shard, a shard already at or below the time is fine as it is.
      if (
        !named &&
        error instanceof CheckpointRepairError &&
        error.code === 'SLUICE_CHECKPOINT_REPAIR_NOT_LOWER'
      ) {
        unchanged.push(shard);
        continue;
      }
      throw translate(error, target, query);
    }
  }
  return { repairs, unchanged };
}

/** Skips a shard's records through `throughSeq` (inclusive). */
export async function skipRange(
  target: Target,
  query: QueryLocation,
  shard: string,
  throughSeq: string,
  force: boolean,
): Promise<CheckpointRepair> {
  try {
    return await skipThrough(adminOptions(target, query), shard, throughSeq, { force });
  } catch (error) {
    throw translate(error, target, query);
  }
}

function adminOptions(target: Target, query: QueryLocation) {
  return { client: target.clients.dynamodb, tableName: requireTable(query), query: query.name };
}

/** Repair refusals are usage errors (exit 2) with the engine's message; SDK errors say the fix. */
function translate(error: unknown, target: Target, query: QueryLocation): unknown {
  if (error instanceof CheckpointRepairError)
    return new CliError(error.code, error.message, { cause: error, context: error.context, exitCode: 2 });
  const cause = error instanceof AwsRequestError ? error.cause : error;
  if (awsErrorName(cause) === 'ResourceNotFoundException')
    return new NoSuchResourceError('table', requireTable(query), target.where, error);
  const translated = translateAwsError(cause, target, 'dynamodb');
  return translated === cause ? error : translated;
}

/** `shardId-000000000000: watermark 2026-01-15 10:00:00 → 2026-01-15 09:00:00 (batch 12)` */
export function describeRepair(repair: CheckpointRepair): string {
  const time = (ms: number) =>
    new Date(ms)
      .toISOString()
      .replace('T', ' ')
      .replace(/\.000Z$/, '');
  const batch = repair.committedBatchId === null ? 'no batch committed' : `batch ${repair.committedBatchId}`;
  const dropped =
    repair.droppedPendingBatchId === undefined
      ? ''
      : `; dropped pending batch ${repair.droppedPendingBatchId}`;
  if (repair.action === 'reset-watermark')
    return `${repair.shard}: watermark ${time(repair.before.watermarkMs)} → ${time(repair.after.watermarkMs)} (${batch})`;
  return `${repair.shard}: committed position ${repair.before.seq ?? 'start'} → ${repair.after.seq} (${batch}${dropped}); records through ${repair.after.seq} will not be processed`;
}
