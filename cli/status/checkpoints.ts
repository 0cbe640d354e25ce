import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { CommittedBatch, PlannedBatch } from '../../engine/checkpoint/checkpoint-store.js';
import type { StateVersion } from '../../engine/state/state-store.js';
import { NoSuchResourceError } from '../errors.js';
import { awsErrorName, withAws } from '../target/aws-errors.js';
import { requireTable } from '../target/resolve.js';
import type { QueryLocation, Target } from '../target/target.js';

/** One shard's checkpoint item (`pk = C#<query>`, `sk = <shard id>`), as status shows it. */
export interface ShardCheckpoint {
  readonly shard: string;
  readonly committed?: {
    readonly batchId: number;
    /** The last sequence number the commit covers (`endOffsets.kinesis.seq`). */
    readonly seq?: string;
    /** The watermark after the batch (`watermark.globalMs`). */
    readonly watermarkMs: number;
    /** The watermark the batch ran with: less than `watermarkMs` when the batch moved it. */
    readonly batchWatermarkMs: number;
    readonly batchTimestampMs: number;
    /** The objects that make up the shard's state (`sluice state`), when the query keeps state. */
    readonly stateVersion?: StateVersion;
  };
  /** The WAL entry of a batch in flight (or one that crashed and awaits its replay). */
  readonly pending?: { readonly batchId: number; readonly seq?: string };
}

/** The batch-id counter shares the partition; it is not a shard. */
const COUNTER_SORT_KEY = '#batch-id';

/**
 * Reads every checkpoint item of a query with one strongly consistent Query on `pk = C#<query>`
 * (following pages). A missing table is a one-line error naming the flag to fix.
 */
export async function readCheckpoints(target: Target, query: QueryLocation): Promise<ShardCheckpoint[]> {
  const table = requireTable(query);
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  try {
    do {
      const page = await withAws(target, 'dynamodb', () =>
        target.clients.dynamodb.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `C#${query.name}` },
            ConsistentRead: true,
            ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
          }),
        ),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  } catch (error) {
    if (awsErrorName(error) === 'ResourceNotFoundException') {
      throw new NoSuchResourceError('table', table, target.where, error);
    }
    throw error;
  }
  return items
    .filter((item) => item.sk !== COUNTER_SORT_KEY)
    .map((item) => toShardCheckpoint(item))
    .sort((a, b) => a.shard.localeCompare(b.shard));
}

/**
 * The last sequence number a batch's offsets cover: `kinesis.seq` for a source shard, or the
 * exchange reader's `pos` (its last applied marker) for stage 2 of a two-stage query.
 */
function sequenceOf(offsets: unknown): string | undefined {
  const seq = (offsets as { kinesis?: { seq?: unknown } } | undefined)?.kinesis?.seq;
  if (typeof seq === 'string') return seq;
  for (const value of Object.values((offsets ?? {}) as Record<string, unknown>)) {
    const pos = (value as { pos?: unknown } | null)?.pos;
    if (typeof pos === 'string') return pos;
  }
  return undefined;
}

function toShardCheckpoint(item: Record<string, unknown>): ShardCheckpoint {
  const committed = item.committed as CommittedBatch | undefined;
  const pending = item.pending as PlannedBatch | undefined;
  const seq = sequenceOf(committed?.endOffsets);
  const pendingSeq = sequenceOf(pending?.endOffsets);
  return {
    shard: String(item.sk),
    ...(committed === undefined
      ? {}
      : {
          committed: {
            batchId: Number(committed.batchId),
            ...(seq === undefined ? {} : { seq }),
            watermarkMs: Number(committed.watermark?.globalMs ?? 0),
            batchWatermarkMs: Number(committed.batchWatermarkMs ?? 0),
            batchTimestampMs: Number(committed.batchTimestampMs ?? 0),
            ...(committed.stateVersion === undefined ? {} : { stateVersion: committed.stateVersion }),
          },
        }),
    ...(pending === undefined
      ? {}
      : {
          pending: {
            batchId: Number(pending.batchId),
            ...(pendingSeq === undefined ? {} : { seq: pendingSeq }),
          },
        }),
  };
}
