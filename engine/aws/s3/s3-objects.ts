import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { S3RequestError } from '../errors.js';
import { queryRoot } from './layout.js';

/** Parallel S3 requests per batch: enough to hide latency, few enough not to trip SlowDown. */
export const DEFAULT_S3_CONCURRENCY = 8;

/** Where a query's outputs live: a bucket and the query root `PREFIX/QUERY/`. */
export interface S3OutputLocation {
  readonly client: S3Client;
  readonly bucket: string;
  /** Key prefix before the query name; `''` for none. */
  readonly prefix: string;
  readonly query: string;
}

/**
 * The objects below one query root, addressed by keys relative to it. Every SDK error is
 * translated here into an {@link S3RequestError} naming the bucket, key and fix.
 */
export class QueryObjects {
  readonly root: string;

  constructor(
    readonly client: S3Client,
    readonly bucket: string,
    prefix: string,
    query: string,
  ) {
    this.root = queryRoot(prefix, query);
  }

  static at(location: S3OutputLocation): QueryObjects {
    return new QueryObjects(location.client, location.bucket, location.prefix, location.query);
  }

  /** The bucket key of a relative key. */
  keyOf(relativeKey: string): string {
    return `${this.root}${relativeKey}`;
  }

  async put(relativeKey: string, body: Uint8Array, contentType: string): Promise<void> {
    const key = this.keyOf(relativeKey);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentType: contentType,
          ContentLength: body.byteLength,
        }),
      );
    } catch (error) {
      throw new S3RequestError('PutObject', this.bucket, key, error);
    }
  }

  async get(relativeKey: string): Promise<Uint8Array> {
    const key = this.keyOf(relativeKey);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (response.Body === undefined) return new Uint8Array();
      return await response.Body.transformToByteArray();
    } catch (error) {
      throw new S3RequestError('GetObject', this.bucket, key, error);
    }
  }

  /**
   * Relative keys below `relativePrefix`, in key order, following continuation tokens (a listing
   * page holds at most 1,000 keys). `startAfter` is a relative key; listing starts after it.
   */
  async list(relativePrefix: string, startAfter?: string): Promise<string[]> {
    const prefix = this.keyOf(relativePrefix);
    const keys: string[] = [];
    let continuationToken: string | undefined;
    do {
      try {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ...(continuationToken === undefined ? {} : { ContinuationToken: continuationToken }),
            ...(startAfter === undefined || continuationToken !== undefined
              ? {}
              : { StartAfter: this.keyOf(startAfter) }),
          }),
        );
        for (const object of page.Contents ?? []) {
          if (object.Key !== undefined) keys.push(object.Key.slice(this.root.length));
        }
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } catch (error) {
        throw new S3RequestError('ListObjectsV2', this.bucket, prefix, error);
      }
    } while (continuationToken !== undefined);
    return keys;
  }
}

/**
 * Maps `items` with at most `limit` calls in flight; results keep the input order. The first
 * failure rejects once every started call has settled, so no request outlives the batch.
 */
export async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}
