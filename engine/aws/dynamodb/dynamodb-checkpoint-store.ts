import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  Checkpoint,
  CheckpointStore,
  CommittedBatch,
  PartitionWatermark,
  PlannedBatch,
} from '../../checkpoint/checkpoint-store.js';
import { CheckpointConflictError } from '../../errors.js';
import type { BatchId } from '../../types.js';
import { AwsRequestError } from '../errors.js';
import { TABLE_LAYOUT } from './table-layout.js';

export interface DynamoDbCheckpointStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly query: string;
  /** The query partition: the Kinesis shard id. */
  readonly partition: string;
}

const COUNTER_SORT_KEY = '#batch-id';

/**
 * The {@link CheckpointStore} on DynamoDB: one item per (query, shard) holding the plan
 * fingerprint, the last commit and the pending WAL entry, plus one batch-id counter per query.
 *
 * - `plan` is a conditional update: no pending entry, the committed batch id below the new one,
 *   and the commit still the one this store last read or wrote. A plan is derived from a commit
 *   (its start offsets and watermarks); an invocation that read the checkpoint before a concurrent
 *   one committed would otherwise plan the same records again from its stale view.
 * - `commit` is a conditional update on `pending.batchId`: a zombie that lost its batch to a newer
 *   invocation fails the condition and changes nothing.
 * - batch ids come from an atomic counter (`ADD next 1`), unique and increasing per query.
 * - `partitionWatermarks` is one Query on `pk = C#<query>` projecting only the commits' watermark
 *   fields: every shard's event times, for the query-wide watermark.
 * Every read is strongly consistent.
 */
export class DynamoDbCheckpointStore implements CheckpointStore {
  private readonly key: { pk: string; sk: string };
  private readonly counterKey: { pk: string; sk: string };
  /** The committed batch id last read or written (`null`: no commit; `undefined`: not read yet). */
  private basis: BatchId | null | undefined;

  constructor(private readonly options: DynamoDbCheckpointStoreOptions) {
    this.key = { pk: `C#${options.query}`, sk: options.partition };
    this.counterKey = { pk: `C#${options.query}`, sk: COUNTER_SORT_KEY };
  }

  async load(): Promise<Checkpoint | undefined> {
    const checkpoint = await this.read();
    this.basis = checkpoint?.committed?.batchId ?? null;
    return checkpoint;
  }

  private async read(): Promise<Checkpoint | undefined> {
    const response = await this.send('GetItem', () =>
      this.options.client.send(
        new GetCommand({ TableName: this.options.tableName, Key: this.key, ConsistentRead: true }),
      ),
    );
    const item = response.Item;
    if (item === undefined) return undefined;
    return {
      fingerprint: item.fingerprint as string,
      ...(item.committed === undefined ? {} : { committed: item.committed as CommittedBatch }),
      ...(item.pending === undefined ? {} : { pending: item.pending as PlannedBatch }),
    };
  }

  async initialize(fingerprint: string, adopted?: CommittedBatch): Promise<void> {
    try {
      await this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          Item: {
            ...this.key,
            fingerprint,
            fv: TABLE_LAYOUT.formatVersion,
            ...(adopted === undefined ? {} : { committed: adopted }),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return; // someone initialized it first
      throw new AwsRequestError('PutItem', error);
    }
  }

  async nextBatchId(): Promise<BatchId> {
    const response = await this.send('UpdateItem', () =>
      this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: this.counterKey,
          UpdateExpression: 'ADD #next :one',
          ExpressionAttributeNames: { '#next': 'next' },
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      ),
    );
    return (response.Attributes?.next as number) - 1;
  }

  async plan(batch: PlannedBatch): Promise<void> {
    const basis =
      this.basis === undefined
        ? ''
        : this.basis === null
          ? ' AND attribute_not_exists(#committed)'
          : ' AND #committed.#batchId = :basis';
    await this.conditional(
      'plan',
      batch.batchId,
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: this.key,
        UpdateExpression: 'SET #pending = :batch',
        ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(#pending) AND (attribute_not_exists(#committed) OR #committed.#batchId < :id)${basis}`,
        ExpressionAttributeNames: { '#pending': 'pending', '#committed': 'committed', '#batchId': 'batchId' },
        ExpressionAttributeValues: {
          ':batch': batch,
          ':id': batch.batchId,
          ...(typeof this.basis === 'number' ? { ':basis': this.basis } : {}),
        },
      }),
    );
  }

  /** Replaces the pending WAL entry (poison isolation's decision), conditional on its batch id. */
  async amend(batch: PlannedBatch): Promise<void> {
    await this.conditional(
      'amend',
      batch.batchId,
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: this.key,
        UpdateExpression: 'SET #pending = :batch',
        ConditionExpression: '#pending.#batchId = :id',
        ExpressionAttributeNames: { '#pending': 'pending', '#batchId': 'batchId' },
        ExpressionAttributeValues: { ':batch': batch, ':id': batch.batchId },
      }),
    );
  }

  async commit(batch: CommittedBatch): Promise<void> {
    await this.conditional(
      'commit',
      batch.batchId,
      new UpdateCommand({
        TableName: this.options.tableName,
        Key: this.key,
        UpdateExpression: 'SET #committed = :batch REMOVE #pending',
        ConditionExpression: '#pending.#batchId = :id',
        ExpressionAttributeNames: { '#pending': 'pending', '#committed': 'committed', '#batchId': 'batchId' },
        ExpressionAttributeValues: { ':batch': batch, ':id': batch.batchId },
      }),
    );
    this.basis = batch.batchId;
  }

  async partitionWatermarks(): Promise<PartitionWatermark[]> {
    const found: PartitionWatermark[] = [];
    try {
      const pages = paginateQuery(
        { client: this.options.client },
        {
          TableName: this.options.tableName,
          KeyConditionExpression: '#pk = :pk',
          ProjectionExpression: '#sk, #c.#w, #c.#bw, #c.#parents',
          ExpressionAttributeNames: {
            '#pk': TABLE_LAYOUT.partitionKey,
            '#sk': TABLE_LAYOUT.sortKey,
            '#c': 'committed',
            '#w': 'watermark',
            '#bw': 'batchWatermarkMs',
            '#parents': 'parents',
          },
          ExpressionAttributeValues: { ':pk': this.key.pk },
          ConsistentRead: true,
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          const committed = item.committed as Partial<CommittedBatch> | undefined;
          if (item.sk === COUNTER_SORT_KEY || committed?.watermark === undefined) continue;
          found.push({
            partition: item.sk as string,
            watermark: committed.watermark,
            batchWatermarkMs: committed.batchWatermarkMs ?? 0,
            ...(committed.parents === undefined ? {} : { parents: committed.parents }),
          });
        }
      }
    } catch (error) {
      throw new AwsRequestError('Query(checkpoints)', error);
    }
    return found;
  }

  async remove(): Promise<void> {
    try {
      await this.options.client.send(
        new DeleteCommand({
          TableName: this.options.tableName,
          Key: this.key,
          ConditionExpression: 'attribute_not_exists(#pending)',
          ExpressionAttributeNames: { '#pending': 'pending' },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new CheckpointConflictError(
          `The checkpoint of '${this.options.query}' on ${this.options.partition} cannot be removed: a batch is pending.`,
          { query: this.options.query, partition: this.options.partition },
        );
      }
      throw new AwsRequestError('DeleteItem(checkpoint)', error);
    }
    this.basis = undefined;
  }

  private async conditional(
    action: 'plan' | 'amend' | 'commit',
    batchId: BatchId,
    command: UpdateCommand,
  ): Promise<void> {
    try {
      await this.options.client.send(command);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        const current = await this.read();
        throw new CheckpointConflictError(
          `Cannot ${action} batch ${batchId} of '${this.options.query}' on ${this.options.partition}: the checkpoint holds ` +
            `pending ${current?.pending?.batchId ?? 'none'}, committed ${current?.committed?.batchId ?? 'none'} ` +
            '(another invocation got there first, or this one is a zombie).',
          { query: this.options.query, partition: this.options.partition, batchId, action },
        );
      }
      throw new AwsRequestError(`UpdateItem(${action})`, error);
    }
  }

  private async send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new AwsRequestError(operation, error);
    }
  }
}
