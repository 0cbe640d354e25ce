import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Checkpoint, CommittedBatch, PlannedBatch } from '../../checkpoint/checkpoint-store.js';
import { SluiceError } from '../../errors.js';
import type { TimestampMs } from '../../types.js';
import { AwsRequestError } from '../errors.js';
import { isAfter, isSequenceNumber, type SequenceNumber } from '../kinesis/sequence-numbers.js';
import { KINESIS_OFFSETS_KEY, readShardOffset } from '../kinesis/shard-offsets.js';

/**
 * Operator repairs of one shard's checkpoint item (`pk = C#<query>`, `sk = <shard id>`), for when
 * data has already gone wrong: a record stamped far in the future moved the watermark so that
 * every later record is late, or a range of the shard must be given up. Each repair is one
 * conditional UpdateItem that holds only if the item is still what was read (same committed batch
 * id, same pending batch or none), so a batch committing in between makes the repair fail instead
 * of being overwritten by it, and vice versa. Each repair leaves `lastRepair` on the item, so the
 * change is never without a trace.
 *
 * A pending batch (a WAL entry awaiting its replay) refuses every repair unless `force`: its replay
 * must run with exactly the planned values. With `force`, `skip` drops the pending entry; with the
 * DynamoDB state store the state writes that batch already made stay visible to later batches
 * (the S3 changelog store never reads an uncommitted attempt's objects).
 */

/** What a repair changed, for the operator's record. */
export interface CheckpointRepair {
  readonly shard: string;
  readonly action: 'reset-watermark' | 'skip';
  /** The committed batch id the repair applied to (`null`: none committed yet). */
  readonly committedBatchId: number | null;
  /** The pending batch the repair dropped (`skip --force` only). */
  readonly droppedPendingBatchId?: number;
  readonly before: { readonly watermarkMs: TimestampMs; readonly seq?: SequenceNumber };
  readonly after: { readonly watermarkMs: TimestampMs; readonly seq?: SequenceNumber };
  readonly atMs: TimestampMs;
}

export interface CheckpointAdminOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly query: string;
  /** For `lastRepair.atMs`. @default Date.now */
  readonly nowMs?: () => TimestampMs;
}

/** A repair the checkpoint does not allow; `code` says which rule, the message says the fix. */
export class CheckpointRepairError extends SluiceError {
  constructor(code: string, message: string, context: Record<string, unknown>) {
    super(`SLUICE_CHECKPOINT_REPAIR_${code}`, message, { context });
  }
}

/** The batch id of a commit made by a repair on a shard that had none (as resharding adoption uses). */
const REPAIR_BATCH_ID = -1;

/**
 * Lowers a shard's watermarks to `toMs`: the global one, each `withWatermark` operator's and the
 * one its last batch ran with (the next batch's "late" watermark, and with one watermark per query
 * a floor for every shard's eviction), so rows after `toMs` are accepted again. With a query-wide
 * watermark (`shardWatermark` 'max' or 'min'), reset every shard (the CLI's default). Windows
 * and state already evicted by the higher watermark are not brought back: rows for them start new
 * groups (in append mode, a second row for the same window).
 */
export async function resetWatermark(
  options: CheckpointAdminOptions,
  shard: string,
  toMs: TimestampMs,
  flags: { readonly force?: boolean } = {},
): Promise<CheckpointRepair> {
  if (!Number.isSafeInteger(toMs) || toMs < 0)
    throw new CheckpointRepairError(
      'BAD_TIME',
      `Watermark ${toMs} is not a time: give epoch milliseconds ≥ 0 or an ISO-8601 time.`,
      { toMs },
    );
  const checkpoint = await readCheckpoint(options, shard);
  refusePending(options.query, shard, checkpoint.pending, flags.force, 'reset its watermark');
  const committed = checkpoint.committed;
  if (committed === undefined)
    throw new CheckpointRepairError(
      'NOTHING_COMMITTED',
      `Shard ${shard} of '${options.query}' has committed no batch yet, so its watermark is already the initial one; nothing to reset.`,
      { query: options.query, shard },
    );
  // Every watermark the shard holds counts: with one watermark per query, a shard's high operator
  // watermark or the watermark its last batch ran with raises the other shards' batches too.
  const beforeMs = Math.max(
    committed.watermark.globalMs,
    committed.batchWatermarkMs,
    ...Object.values(committed.watermark.operatorsMs),
  );
  if (toMs >= beforeMs)
    throw new CheckpointRepairError(
      'NOT_LOWER',
      `Shard ${shard} of '${options.query}' has watermark ${iso(beforeMs)}; a reset only lowers it (to accept rows it now drops as late). Give a time before ${iso(beforeMs)}.`,
      { query: options.query, shard, beforeMs, toMs },
    );
  const operatorsMs = Object.fromEntries(
    Object.entries(committed.watermark.operatorsMs).map(([id, ms]) => [id, Math.min(ms, toMs)]),
  );
  const repaired: CommittedBatch = {
    ...committed,
    watermark: {
      ...committed.watermark,
      globalMs: Math.min(committed.watermark.globalMs, toMs),
      operatorsMs,
    },
    batchWatermarkMs: Math.min(committed.batchWatermarkMs, toMs),
  };
  const seq = committedSeq(committed);
  const repair: CheckpointRepair = {
    shard,
    action: 'reset-watermark',
    committedBatchId: committed.batchId,
    before: { watermarkMs: beforeMs, ...(seq === undefined ? {} : { seq }) },
    after: { watermarkMs: Math.min(beforeMs, toMs), ...(seq === undefined ? {} : { seq }) },
    atMs: (options.nowMs ?? Date.now)(),
  };
  await writeRepair(options, shard, checkpoint, repaired, repair, false);
  return repair;
}

/**
 * Gives up a shard's records up to and including `throughSeq`: the commit's end position moves
 * there, so the handler treats those records as processed and Lambda moves past them. They are
 * not in any output or dead letter: the operator answers for them (the repair names the range).
 */
export async function skipThrough(
  options: CheckpointAdminOptions,
  shard: string,
  throughSeq: SequenceNumber,
  flags: { readonly force?: boolean } = {},
): Promise<CheckpointRepair> {
  if (!isSequenceNumber(throughSeq))
    throw new CheckpointRepairError(
      'BAD_SEQUENCE',
      `${JSON.stringify(throughSeq)} is not a Kinesis sequence number (digits only); take one from \`sluice dead-letters\` (position) or the stream.`,
      { throughSeq },
    );
  const checkpoint = await readCheckpoint(options, shard);
  refusePending(options.query, shard, checkpoint.pending, flags.force, 'skip part of it');
  const committed = checkpoint.committed;
  const beforeSeq = committed === undefined ? undefined : committedSeq(committed);
  if (!isAfter(throughSeq, beforeSeq))
    throw new CheckpointRepairError(
      'NOT_AHEAD',
      `Shard ${shard} of '${options.query}' has committed through ${beforeSeq}; ${throughSeq} is not after it, so there is nothing to skip (a skip never rewinds: that would process records twice).`,
      { query: options.query, shard, beforeSeq, throughSeq },
    );
  const nowMs = (options.nowMs ?? Date.now)();
  const base: CommittedBatch = committed ?? {
    batchId: REPAIR_BATCH_ID,
    endOffsets: {},
    batchTimestampMs: nowMs,
    batchWatermarkMs: 0,
    watermark: { globalMs: 0, operatorsMs: {} },
    stateRows: {},
  };
  const repaired: CommittedBatch = {
    ...base,
    endOffsets: { ...base.endOffsets, [KINESIS_OFFSETS_KEY]: { seq: throughSeq, count: 0 } },
  };
  const watermarkMs = base.watermark.globalMs;
  const repair: CheckpointRepair = {
    shard,
    action: 'skip',
    committedBatchId: committed?.batchId ?? null,
    ...(checkpoint.pending === undefined ? {} : { droppedPendingBatchId: checkpoint.pending.batchId }),
    before: { watermarkMs, ...(beforeSeq === undefined ? {} : { seq: beforeSeq }) },
    after: { watermarkMs, seq: throughSeq },
    atMs: nowMs,
  };
  await writeRepair(options, shard, checkpoint, repaired, repair, true);
  return repair;
}

function committedSeq(committed: CommittedBatch): SequenceNumber | undefined {
  return readShardOffset(committed.endOffsets)?.seq;
}

function refusePending(
  query: string,
  shard: string,
  pending: PlannedBatch | undefined,
  force: boolean | undefined,
  what: string,
): void {
  if (pending === undefined || force === true) return;
  throw new CheckpointRepairError(
    'PENDING',
    `Shard ${shard} of '${query}' has batch ${pending.batchId} pending (planned, not committed: in flight, or failing and being retried); refusing to ${what} under it. Wait for it to commit (sluice status), or pass --force to repair anyway.`,
    { query, shard, pendingBatchId: pending.batchId },
  );
}

async function readCheckpoint(options: CheckpointAdminOptions, shard: string): Promise<Checkpoint> {
  let item: Record<string, unknown> | undefined;
  try {
    const response = await options.client.send(
      new GetCommand({
        TableName: options.tableName,
        Key: { pk: `C#${options.query}`, sk: shard },
        ConsistentRead: true,
      }),
    );
    item = response.Item;
  } catch (error) {
    throw new AwsRequestError('GetItem(checkpoint)', error);
  }
  if (item === undefined)
    throw new CheckpointRepairError(
      'NO_CHECKPOINT',
      `Query '${options.query}' has no checkpoint for shard ${shard} in table ${options.tableName}: check the shard id (sluice status lists them) and the table.`,
      { query: options.query, shard },
    );
  return {
    fingerprint: item.fingerprint as string,
    ...(item.committed === undefined ? {} : { committed: item.committed as CommittedBatch }),
    ...(item.pending === undefined ? {} : { pending: item.pending as PlannedBatch }),
  };
}

/** One conditional update: the item must still hold the commit and pending entry that were read. */
async function writeRepair(
  options: CheckpointAdminOptions,
  shard: string,
  read: Checkpoint,
  committed: CommittedBatch,
  repair: CheckpointRepair,
  dropPending: boolean,
): Promise<void> {
  const names: Record<string, string> = {
    '#committed': 'committed',
    '#pending': 'pending',
    '#batchId': 'batchId',
    '#repair': 'lastRepair',
  };
  const values: Record<string, unknown> = { ':committed': committed, ':repair': repair };
  const conditions = ['attribute_exists(pk)'];
  if (read.committed === undefined) conditions.push('attribute_not_exists(#committed)');
  else {
    conditions.push('#committed.#batchId = :readCommitted');
    values[':readCommitted'] = read.committed.batchId;
  }
  if (read.pending === undefined) conditions.push('attribute_not_exists(#pending)');
  else {
    conditions.push('#pending.#batchId = :readPending');
    values[':readPending'] = read.pending.batchId;
  }
  const drop = dropPending && read.pending !== undefined;
  try {
    await options.client.send(
      new UpdateCommand({
        TableName: options.tableName,
        Key: { pk: `C#${options.query}`, sk: shard },
        UpdateExpression: `SET #committed = :committed, #repair = :repair${drop ? ' REMOVE #pending' : ''}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException)
      throw new CheckpointRepairError(
        'CONFLICT',
        `Shard ${shard} of '${options.query}' planned or committed a batch while the repair was being made; nothing was changed. Run the command again.`,
        { query: options.query, shard },
      );
    throw new AwsRequestError('UpdateItem(repair)', error);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
