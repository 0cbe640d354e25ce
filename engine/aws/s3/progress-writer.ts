import type { QueryProgress } from '../../runtime/progress.js';
import type { BatchId } from '../../types.js';
import { CONTENT_TYPES } from './batch-manifest-writer.js';
import { batchIdOfJsonName, escapePathName, progressKey, S3_LAYOUT } from './layout.js';
import { QueryObjects, type S3OutputLocation } from './s3-objects.js';

/**
 * Writes each batch's {@link QueryProgress} to `_progress/<shard>/<batchId:020>.json` (one JSON
 * object and a newline), next to the outputs, so that `sluice status` and dashboards can read
 * recent batches without CloudWatch. A replay overwrites its batch's record with the replay's
 * timings; progress is informational and never read by the protocol.
 *
 * @example
 * const progress = new S3ProgressWriter({ client, bucket: 'out', prefix: 'prod', query: 'page-views' });
 * await progress.write(outcome.progress);
 */
export class S3ProgressWriter {
  private readonly objects: QueryObjects;

  constructor(location: S3OutputLocation) {
    this.objects = QueryObjects.at(location);
  }

  /** Writes the record; returns its bucket key. */
  async write(progress: QueryProgress): Promise<string> {
    const key = progressKey(progress.partition, progress.batchId);
    await this.objects.put(
      key,
      new TextEncoder().encode(`${JSON.stringify(progress)}\n`),
      CONTENT_TYPES.json,
    );
    return this.objects.keyOf(key);
  }

  /** The batch ids with a progress record for a shard, in order (paged listing). */
  async batchIds(shard: string): Promise<BatchId[]> {
    const dir = `${S3_LAYOUT.progressDir}${escapePathName(shard)}/`;
    const keys = await this.objects.list(dir);
    return keys.flatMap((key) => {
      const batchId = batchIdOfJsonName(key.slice(dir.length));
      return batchId === undefined ? [] : [batchId];
    });
  }

  /** One batch's progress record of a shard. */
  async read(shard: string, batchId: BatchId): Promise<QueryProgress> {
    const bytes = await this.objects.get(progressKey(shard, batchId));
    return JSON.parse(new TextDecoder().decode(bytes)) as QueryProgress;
  }
}
