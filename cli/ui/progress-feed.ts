import { batchIdOfJsonName, S3_LAYOUT } from '../../engine/aws/s3/layout.js';
import { QueryObjects, type S3OutputLocation } from '../../engine/aws/s3/s3-objects.js';
import type { QueryProgress } from '../../engine/runtime/progress.js';

/** Recent progress of one shard, oldest first. */
export interface ShardProgress {
  readonly shard: string;
  readonly progress: readonly QueryProgress[];
}

/** What the page shows of one query. */
export interface QueryView {
  readonly query: string;
  readonly shards: readonly ShardProgress[];
}

/** What `/api/progress` returns. */
export interface UiSnapshot {
  readonly where: string;
  readonly generatedAt: string;
  readonly queries: readonly QueryView[];
}

/** Batches per shard the page plots: about 20 minutes of one batch per second, or many hours of quiet. */
export const DEFAULT_BATCHES_PER_SHARD = 1200;

/**
 * Reads a query's progress records (`PREFIX/QUERY/_progress/<shard>/<batchId>.json`, written by
 * the handler after each commit) from S3: lists them, then fetches only those not seen before
 * (a record is written once per batch; a replay rewrites it with the same counts), keeping the
 * newest `limit` per shard.
 */
export class ProgressFeed {
  private readonly objects: QueryObjects;
  private readonly seen = new Map<string, QueryProgress>();

  constructor(
    private readonly location: S3OutputLocation,
    private readonly limit = DEFAULT_BATCHES_PER_SHARD,
  ) {
    this.objects = QueryObjects.at(location);
  }

  async read(): Promise<QueryView> {
    const keys = await this.objects.list(S3_LAYOUT.progressDir);
    const byShard = new Map<string, { key: string; batchId: number }[]>();
    for (const key of keys) {
      const rest = key.slice(S3_LAYOUT.progressDir.length);
      const slash = rest.lastIndexOf('/');
      const batchId = batchIdOfJsonName(rest.slice(slash + 1));
      if (slash < 0 || batchId === undefined) continue;
      const shard = rest.slice(0, slash);
      const list = byShard.get(shard) ?? [];
      list.push({ key, batchId });
      byShard.set(shard, list);
    }
    const shards: ShardProgress[] = [];
    for (const [shardDir, entries] of [...byShard].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const recent = entries.sort((a, b) => a.batchId - b.batchId).slice(-this.limit);
      const missing = recent.filter((entry) => !this.seen.has(entry.key));
      await Promise.all(
        missing.map(async (entry) => {
          const bytes = await this.objects.get(entry.key);
          this.seen.set(entry.key, JSON.parse(new TextDecoder().decode(bytes)) as QueryProgress);
        }),
      );
      const progress = recent.map((entry) => this.seen.get(entry.key)!);
      shards.push({ shard: progress.at(-1)?.partition ?? shardDir, progress });
    }
    return { query: this.location.query, shards };
  }
}
