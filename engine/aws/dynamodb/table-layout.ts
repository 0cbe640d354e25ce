import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';

/**
 * The single DynamoDB table holding a deployment's state and checkpoints (format version 1).
 *
 * | item | pk | sk | attributes |
 * | --- | --- | --- | --- |
 * | state | `S#<query>#<operator>#<partition>` | encoded group key | `v` batch id that wrote it; `hc`/`c`/`ce` current present/value/expiresAt; `hp`/`p`/`pe` previous; `x` expiry index value; `ttl` on tombstones; `fv` |
 * | checkpoint | `C#<query>` | partition (shard id) | `fingerprint`, `committed`, `pending`, `fv` |
 * | batch-id counter | `C#<query>` | `#batch-id` | `next` |
 *
 * The local secondary index `byExpiry` on (`pk`, `x`) serves window eviction, dedup expiry and
 * GroupState timers as one range query, read consistently (only an LSI allows that).
 * `x = min(ce, pe)`: a read as of batch N uses `pe` when `v == N` and `ce` otherwise, and both are
 * ≥ `x`, so `x ≤ bound` finds every candidate; the store then filters on the effective version.
 */
export const TABLE_LAYOUT = {
  partitionKey: 'pk',
  sortKey: 'sk',
  expiryIndex: 'byExpiry',
  expiryAttribute: 'x',
  ttlAttribute: 'ttl',
  formatVersion: 1,
} as const;

/** The CreateTable input for the layout (also what the CDK construct declares). */
export function stateTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: TABLE_LAYOUT.partitionKey, AttributeType: 'S' },
      { AttributeName: TABLE_LAYOUT.sortKey, AttributeType: 'S' },
      { AttributeName: TABLE_LAYOUT.expiryAttribute, AttributeType: 'N' },
    ],
    KeySchema: [
      { AttributeName: TABLE_LAYOUT.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_LAYOUT.sortKey, KeyType: 'RANGE' },
    ],
    LocalSecondaryIndexes: [
      {
        IndexName: TABLE_LAYOUT.expiryIndex,
        KeySchema: [
          { AttributeName: TABLE_LAYOUT.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_LAYOUT.expiryAttribute, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

/** Creates the table and waits until it is active (tests and local provisioning). */
export async function createStateTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new CreateTableCommand(stateTableDefinition(tableName)));
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
}
