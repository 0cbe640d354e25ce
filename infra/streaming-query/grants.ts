import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { TABLE_LAYOUT } from '../../engine/aws/dynamodb/table-layout.js';
import { ACKNOWLEDGED_FINDINGS, acknowledgeWildcardResource } from './nag.js';

/**
 * The item operations the engine's state store and checkpoint log use (engine/aws/dynamodb).
 * No Scan, no table management: a query function reads and writes items, nothing else.
 */
export const STATE_ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
] as const;

/** Object operations of the S3 sink: write outputs, read them back (replays, manifests). */
export const OUTPUT_OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'] as const;

/**
 * The partition keys a query owns in the (possibly shared) table: its state items
 * (`S#QUERY#operator#shard`) and its checkpoint and batch-id counter (`C#QUERY`). Query names
 * contain no `#`, `*` or `?`, so these patterns match no other query's keys.
 */
export function ownedPartitionKeys(query: string): string[] {
  return [`S#${query}#*`, `C#${query}`];
}

/**
 * Lets the query function read and write only its own items in the table (a `dynamodb:LeadingKeys`
 * condition, so sharing a table between queries stays isolated), and read and write only objects
 * under `PREFIX/QUERY/` in the bucket (listing limited to that prefix too). Kinesis read access to
 * its own stream comes from the event source (`stream.grantRead`).
 */
export function grantQueryFunction(
  role: IRole,
  target: {
    readonly query: string;
    readonly table: ITable;
    readonly bucket: IBucket;
    readonly keyPrefix: string;
  },
): void {
  const objects = target.bucket.arnForObjects(`${target.keyPrefix}/*`);
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'OwnStateItems',
      actions: [...STATE_ITEM_ACTIONS],
      resources: [target.table.tableArn, `${target.table.tableArn}/index/${TABLE_LAYOUT.expiryIndex}`],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ownedPartitionKeys(target.query) } },
    }),
  );
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'OwnOutputObjects',
      actions: [...OUTPUT_OBJECT_ACTIONS],
      resources: [objects],
    }),
  );
  acknowledgeWildcardResource(role, objects, ACKNOWLEDGED_FINDINGS.outputPrefix);
  // The S3 state store deletes its own superseded and uncommitted state objects (at snapshots).
  const stateObjects = target.bucket.arnForObjects(`${target.keyPrefix}/_state/*`);
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'CleanOwnStateObjects',
      actions: ['s3:DeleteObject'],
      resources: [stateObjects],
    }),
  );
  acknowledgeWildcardResource(role, stateObjects, ACKNOWLEDGED_FINDINGS.outputPrefix);
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'ListOwnOutputPrefix',
      actions: ['s3:ListBucket'],
      resources: [target.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${target.keyPrefix}/*`] } },
    }),
  );
  // Customer-managed keys of a table or bucket passed in (the ones this construct creates use AWS keys).
  target.table.encryptionKey?.grantEncryptDecrypt(role);
  target.bucket.encryptionKey?.grantEncryptDecrypt(role);
}

/**
 * Lets the heartbeat function list its stream's shards and put records into them, and read only
 * its query's checkpoint items (`C#QUERY`). It cannot invoke the query function or touch state.
 */
export function grantHeartbeatFunction(
  grantee: IGrantable,
  target: { readonly query: string; readonly table: ITable; readonly stream: IStream },
): void {
  const role = grantee.grantPrincipal;
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'PutHeartbeats',
      actions: ['kinesis:ListShards', 'kinesis:PutRecords'],
      resources: [target.stream.streamArn],
    }),
  );
  target.stream.encryptionKey?.grantEncrypt(grantee);
  role.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'ReadOwnCheckpoints',
      actions: ['dynamodb:Query'],
      resources: [target.table.tableArn],
      conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [`C#${target.query}`] } },
    }),
  );
  target.table.encryptionKey?.grantDecrypt(grantee);
}
