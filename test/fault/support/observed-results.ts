import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { StateBackend } from '../../../engine/aws/lambda/kinesis-handler.js';
import {
  DEFAULT_S3_CONCURRENCY,
  decodeDeadLetters,
  mapConcurrently,
  QueryObjects,
  S3OutputReader,
} from '../../../engine/aws/s3/index.js';
import { S3StateObjects } from '../../../engine/aws/s3-state/index.js';
import {
  type Checkpoint,
  compileQuery,
  type QueryDefinition,
  stateNamespace,
} from '../../../engine/index.js';
import { asChangelogVersion } from '../../../engine/state/changelog/changelog-layout.js';
import { loadVersion } from '../../../engine/state/changelog/changelog-reader.js';
import type { FaultEnv } from './fault-env.js';

/** A value as stable text: object keys sorted, bytes as base64, bigints as digits. */
export function canonical(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

/** One manifested batch's output, each list as sorted canonical text (a multiset). */
export interface BatchOutput {
  readonly rows: string[];
  readonly deadLetters: string[];
}

/**
 * Every manifested batch of a query with its rows and dead letters, read the way consumers read
 * them (only manifested objects; rows through `S3OutputReader`). Dead letters keep what
 * identifies the input (reason, original bytes, sequence number, partition key, rejected row,
 * operator), not the batch id.
 */
export async function readOutputs(
  env: FaultEnv,
  query: string,
  prefix: string,
): Promise<Map<number, BatchOutput>> {
  const location = { client: env.clients.s3, bucket: env.bucket, prefix, query };
  const batches = await new S3OutputReader(location).readBatches();
  const objects = QueryObjects.at(location);
  const outputs = new Map<number, BatchOutput>();
  await mapConcurrently(batches, DEFAULT_S3_CONCURRENCY, async ({ manifest, rows }) => {
    const dead =
      manifest.deadLetters === null ? [] : decodeDeadLetters(await objects.get(manifest.deadLetters.key));
    outputs.set(manifest.batchId, {
      rows: rows.map(canonical).sort(),
      deadLetters: dead.map(({ batchId: _batchId, shard: _shard, ...letter }) => canonical(letter)).sort(),
    });
  });
  return outputs;
}

/**
 * The current version of every state key of every stateful operator of the query on a shard:
 * with S3 state, the committed version's snapshot and deltas (what any later batch reads);
 * with DynamoDB state, the items' current versions.
 */
export async function readState(
  env: FaultEnv,
  run: { readonly query: QueryDefinition; readonly prefix: string; readonly state: StateBackend },
  shardId: string,
): Promise<Map<string, string>> {
  const query = run.query;
  const state = new Map<string, string>();
  if (run.state === 's3') {
    const checkpoint = await readCheckpoint(env, query.name, shardId);
    const version = asChangelogVersion(checkpoint?.committed?.stateVersion);
    if (version === undefined) return state;
    const objects = new S3StateObjects({
      client: env.clients.s3,
      bucket: env.bucket,
      prefix: run.prefix,
      query: query.name,
    });
    for (const [operatorId, loaded] of await loadVersion(objects, shardId, version)) {
      for (const [key, entry] of loaded.entries)
        state.set(`${operatorId}/${key}`, canonical({ value: entry.value, expiresAt: entry.expiresAt }));
    }
    return state;
  }
  for (const operator of compileQuery(query).statefulOperators) {
    const pk = `S#${stateNamespace(query.name, operator.operatorId, shardId)}`;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await env.clients.dynamodb.send(
        new QueryCommand({
          TableName: env.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (item.hc !== 1) continue; // a tombstone: the key has no state
        state.set(
          `${operator.operatorId}/${item.sk}`,
          canonical({ value: item.c ?? null, expiresAt: item.ce }),
        );
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }
  return state;
}

/** The shard's checkpoint item, read directly. */
export async function readCheckpoint(
  env: FaultEnv,
  query: string,
  shardId: string,
): Promise<Checkpoint | undefined> {
  const response = await env.clients.dynamodb.send(
    new GetCommand({
      TableName: env.tableName,
      Key: { pk: `C#${query}`, sk: shardId },
      ConsistentRead: true,
    }),
  );
  return response.Item as Checkpoint | undefined;
}
