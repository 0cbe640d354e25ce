import { S3StateObjects } from '../../engine/aws/s3-state/s3-state-objects.js';
import { asChangelogVersion } from '../../engine/state/changelog/changelog-layout.js';
import { CliError } from '../errors.js';
import { plainValue } from '../query/format.js';
import type { ResultColumn } from '../query/read-results.js';
import { translateS3Error } from '../query/read-results.js';
import { readCheckpoints } from '../status/checkpoints.js';
import { requireBucket } from '../target/resolve.js';
import type { QueryLocation, Target } from '../target/target.js';
import { changesSince, type OperatorState, readShardState } from './read-chain.js';

/** What `sluice state` shows. */
export type StateView = 'summary' | 'objects' | 'rows';
export const STATE_VIEWS: readonly StateView[] = ['summary', 'objects', 'rows'];

export interface QueryStateOptions {
  readonly operator?: string;
  readonly shard?: string;
  /** The state as of this batch. */
  readonly batchId?: number;
}

/** Rows of one of the views, with their columns (`formatRows`, `runSql`). */
export interface StateTable {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly Record<string, unknown>[];
}

/** The query keeps its state in DynamoDB, or has committed no state yet. */
export class NoStateVersionError extends CliError {
  constructor(query: string, shards: number) {
    super(
      'SLUICE_CLI_NO_STATE',
      shards === 0
        ? `Query '${query}' has no committed batch yet: push records and wait (sluice status ${query} --wait).`
        : `Query '${query}' has committed batches on ${shards} shard(s) but no S3 state: it is stateless, or keeps its state in DynamoDB (state: 'dynamodb'), which sluice state does not read.`,
      { context: { query, shards } },
    );
  }
}

/**
 * Reads a query's committed state from the objects its checkpoints name: per shard, the commit's
 * state version (one strongly consistent read of the checkpoint items), then per operator the
 * snapshot and deltas of its chain.
 */
export async function readQueryState(
  target: Target,
  query: QueryLocation,
  options: QueryStateOptions,
): Promise<OperatorState[]> {
  const bucket = requireBucket(query);
  const checkpoints = (await readCheckpoints(target, query)).filter(
    (checkpoint) => options.shard === undefined || checkpoint.shard === options.shard,
  );
  const versioned = checkpoints.flatMap((checkpoint) => {
    const version = asChangelogVersion(checkpoint.committed?.stateVersion);
    return version === undefined ? [] : [{ shard: checkpoint.shard, version }];
  });
  if (versioned.length === 0) {
    throw new NoStateVersionError(query.name, checkpoints.filter((c) => c.committed !== undefined).length);
  }
  const objects = new S3StateObjects({
    client: target.clients.s3,
    bucket,
    prefix: query.prefix,
    query: query.name,
  });
  try {
    const states = await Promise.all(
      versioned.map(({ shard, version }) =>
        readShardState(objects, shard, version, {
          ...(options.operator === undefined ? {} : { operator: options.operator }),
          ...(options.batchId === undefined ? {} : { batchId: options.batchId }),
        }),
      ),
    );
    return states.flat();
  } catch (error) {
    throw translateS3Error(error, target, bucket);
  }
}

const column = (name: string, type = 'json'): ResultColumn => ({ name, type });

/** Per shard and operator: the version, its objects, their sizes and the keys held. */
export function summaryTable(states: readonly OperatorState[]): StateTable {
  const rows = states.map((state) => {
    const snapshot = state.objects.find((object) => object.kind === 'snapshot');
    const deltas = state.objects.filter((object) => object.kind === 'delta');
    return {
      shard: state.shard,
      operator: state.operator,
      batch: state.batchId,
      attempt: state.attempt,
      keys: state.entries.size,
      snapshot: snapshot?.batchId ?? null,
      deltas: deltas.length,
      'snapshot bytes': snapshot?.bytes ?? 0,
      'delta bytes': deltas.reduce((total, object) => total + object.bytes, 0),
      unreferenced: state.unreferenced,
    };
  });
  return {
    columns: Object.keys(rows[0] ?? {}).map((name) => column(name)),
    rows,
  };
}

/** One row per object of the committed chains. */
export function objectsTable(states: readonly OperatorState[]): StateTable {
  const rows = states.flatMap((state) =>
    state.objects.map((object) => ({
      shard: state.shard,
      operator: state.operator,
      kind: object.kind,
      batch: object.batchId,
      attempt: object.attempt,
      bytes: object.bytes,
      rows: object.rows.length,
      deletes: object.rows.filter((row) => row.entry === undefined).length,
    })),
  );
  return {
    columns: ['shard', 'operator', 'kind', 'batch', 'attempt', 'bytes', 'rows', 'deletes'].map((n) =>
      column(n),
    ),
    rows,
  };
}

/** The state itself: one row per live key, by shard, operator and key. */
export function rowsTable(states: readonly OperatorState[]): StateTable {
  const rows = states.flatMap((state) =>
    [...state.entries]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, entry]) => ({
        shard: state.shard,
        operator: state.operator,
        key,
        value: plainValue(entry.value, 'json'),
        expiresAt: plainValue(entry.expiresAt, 'timestamp'),
      })),
  );
  return {
    columns: [
      column('shard'),
      column('operator'),
      column('key'),
      column('value'),
      column('expiresAt', 'timestamp'),
    ],
    rows,
  };
}

/** The change feed after batch `since`: one row per key each later batch set or deleted. */
export function changesTable(states: readonly OperatorState[], since: number): StateTable {
  const rows = states.flatMap((state) =>
    changesSince(state, since).map((change) => ({
      batch: change.batchId,
      shard: state.shard,
      operator: state.operator,
      key: change.key,
      change: change.entry === undefined ? 'delete' : 'set',
      value: change.entry === undefined ? null : plainValue(change.entry.value, 'json'),
      expiresAt: plainValue(change.entry?.expiresAt, 'timestamp'),
    })),
  );
  return {
    columns: [
      column('batch'),
      column('shard'),
      column('operator'),
      column('key'),
      column('change'),
      column('value'),
      column('expiresAt', 'timestamp'),
    ],
    rows,
  };
}
