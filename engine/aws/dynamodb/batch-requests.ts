import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AwsRequestError } from '../errors.js';

const GET_CHUNK = 100;
const WRITE_CHUNK = 25;
/** Parallel requests per call: enough to hide latency, few enough not to self-throttle. */
const CONCURRENCY = 8;
const MAX_ATTEMPTS = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const backoffMs = (attempt: number) => Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2);

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

export async function inParallel<T, R>(items: readonly T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(CONCURRENCY, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(workers);
  return results;
}

/**
 * Reads every key with strongly consistent BatchGetItem calls (100 keys each, in parallel),
 * retrying unprocessed keys with backoff. Returns the items found, in no particular order.
 */
export async function batchGetAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: ReadonlyArray<Record<string, unknown>>,
): Promise<Record<string, unknown>[]> {
  const pages = await inParallel(chunk(keys, GET_CHUNK), async (part) => {
    const found: Record<string, unknown>[] = [];
    let pending: Record<string, unknown>[] = part;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS)
        throw new AwsRequestError('BatchGetItem', new Error('keys left unprocessed'));
      if (attempt > 0) await sleep(backoffMs(attempt));
      const response = await client
        .send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }))
        .catch((error: unknown) => {
          throw new AwsRequestError('BatchGetItem', error);
        });
      found.push(...(response.Responses?.[tableName] ?? []));
      pending = (response.UnprocessedKeys?.[tableName]?.Keys ?? []) as Record<string, unknown>[];
    }
    return found;
  });
  return pages.flat();
}

/** Writes every item with BatchWriteItem calls (25 each, in parallel), retrying unprocessed items. */
export async function batchWriteAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  items: ReadonlyArray<Record<string, unknown>>,
): Promise<void> {
  await sendWrites(
    client,
    tableName,
    items.map((item) => ({ PutRequest: { Item: item } })),
  );
}

/** Deletes every key with BatchWriteItem calls (25 each, in parallel), retrying unprocessed ones. */
export async function batchDeleteAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: ReadonlyArray<Record<string, unknown>>,
): Promise<void> {
  await sendWrites(
    client,
    tableName,
    keys.map((key) => ({ DeleteRequest: { Key: key } })),
  );
}

type WriteRequest =
  | { PutRequest: { Item: Record<string, unknown> } }
  | { DeleteRequest: { Key: Record<string, unknown> } };

async function sendWrites(
  client: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly WriteRequest[],
): Promise<void> {
  await inParallel(chunk(requests, WRITE_CHUNK), async (part) => {
    let pending: WriteRequest[] = [...part];
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS)
        throw new AwsRequestError('BatchWriteItem', new Error('items left unprocessed'));
      if (attempt > 0) await sleep(backoffMs(attempt));
      const response = await client
        .send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }))
        .catch((error: unknown) => {
          throw new AwsRequestError('BatchWriteItem', error);
        });
      pending = (response.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
    }
  });
}
