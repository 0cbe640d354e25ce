import { DeleteObjectsCommand } from '@aws-sdk/client-s3';
import type { StateObjects } from '../../state/changelog/state-objects.js';
import { S3RequestError } from '../errors.js';
import { QueryObjects, type S3OutputLocation } from '../s3/s3-objects.js';

/** S3 allows at most this many keys per DeleteObjects request. */
const DELETE_BATCH = 1000;

/**
 * The changelog state store's objects in the query's bucket, below `PREFIX/QUERY/` (so the
 * state sits beside the outputs it produced: `PREFIX/QUERY/_state/…`).
 */
export class S3StateObjects implements StateObjects {
  private readonly objects: QueryObjects;

  constructor(location: S3OutputLocation) {
    this.objects = QueryObjects.at(location);
  }

  put(key: string, body: Uint8Array): Promise<void> {
    return this.objects.put(key, body, 'application/vnd.apache.parquet');
  }

  get(key: string): Promise<Uint8Array> {
    return this.objects.get(key);
  }

  list(prefix: string): Promise<string[]> {
    return this.objects.list(prefix);
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const chunk = keys.slice(i, i + DELETE_BATCH).map((key) => ({ Key: this.objects.keyOf(key) }));
      try {
        await this.objects.client.send(
          new DeleteObjectsCommand({ Bucket: this.objects.bucket, Delete: { Objects: chunk, Quiet: true } }),
        );
      } catch (error) {
        throw new S3RequestError('DeleteObjects', this.objects.bucket, chunk[0]!.Key, error);
      }
    }
  }
}
