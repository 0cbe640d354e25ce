import type { S3Client } from '@aws-sdk/client-s3';
import type { ForeachBatchContext, ForeachBatchFunction, Sink, SinkBatchContext } from '../../sinks/sink.js';
import type { BatchId, OutputMode, Row } from '../../types.js';
import { InvalidOutputKeyError, MissingS3ServicesError } from '../errors.js';
import { writeDeadLettersAndManifest } from './batch-manifest-writer.js';
import { RESERVED_DIRS } from './layout.js';
import type { BatchManifest, ManifestObject } from './manifest.js';
import { QueryObjects, type S3OutputLocation } from './s3-objects.js';

/**
 * What a `foreachBatch` function finds in `ctx.services.s3` on AWS: puts scoped to the query's
 * root `PREFIX/QUERY/`. Key objects by batch id (e.g. `` `out/${batchId}.json` ``) and derive their
 * bytes from the rows only: a replay passes the same rows for the same batch id and so rewrites
 * the same objects. Every object written through `putObject` is listed in the batch's manifest.
 */
export interface ForeachBatchS3 {
  readonly client: S3Client;
  readonly bucket: string;
  /** The query root every relative key lives under, e.g. `prod/page-views/`. */
  readonly prefix: string;
  /** Writes `PREFIX/QUERY/<relativeKey>`; returns the bucket key. Pending puts are awaited before the manifest. */
  putObject(
    relativeKey: string,
    body: string | Uint8Array,
    options?: { contentType?: string },
  ): Promise<string>;
}

/** The S3 helpers of a foreachBatch context, typed; throws when the runtime gave none (e.g. in unit tests). */
export function s3Services(context: ForeachBatchContext): ForeachBatchS3 {
  const s3 = context.services.s3 as ForeachBatchS3 | undefined;
  if (s3 === undefined || typeof s3.putObject !== 'function') {
    throw new MissingS3ServicesError(context.queryName);
  }
  return s3;
}

/** Options of {@link S3ForeachBatchSink}. */
export interface S3ForeachBatchSinkOptions extends S3OutputLocation {
  readonly shard: string;
  readonly outputMode: OutputMode;
  readonly fn: ForeachBatchFunction;
  /** More services for the function's context, next to `s3`. @default {} */
  readonly services?: Readonly<Record<string, unknown>>;
}

/**
 * Runs a `foreachBatch` function as a {@link Sink}, like Spark's `ForeachBatchSink`:
 *
 * ```
 * addBatch(batchId, rows, {deadLetters}):
 *   await fn(rows, batchId, { queryName, partition: shard, services: { s3, ...services } })
 *   await every put the function started through s3.putObject (a failed one fails the batch)
 *   PUT _dead/<batchId:020>-<shard>.jsonl         (when there are dead letters)
 *   PUT _manifest/<batchId:020>.json              (files: [], objects: the helper's puts, sorted by key)
 * ```
 *
 * The function must be idempotent per batch id (same rows ⇒ same writes); an error it throws
 * fails the batch, which is retried from its WAL entry with the same rows.
 */
export class S3ForeachBatchSink implements Sink {
  readonly description: string;
  private readonly objects: QueryObjects;

  constructor(private readonly options: S3ForeachBatchSinkOptions) {
    this.objects = QueryObjects.at(options);
    this.description = `ForeachBatchSink[s3://${options.bucket}/${this.objects.root}]`;
  }

  async addBatch(batchId: BatchId, rows: readonly Row[], context: SinkBatchContext): Promise<void> {
    await this.write(batchId, rows, context);
  }

  /** `addBatch`, returning the manifest it wrote. */
  async write(batchId: BatchId, rows: readonly Row[], context: SinkBatchContext): Promise<BatchManifest> {
    const written = new Map<string, number>();
    const settled: Promise<{ error: unknown } | undefined>[] = [];
    const s3: ForeachBatchS3 = {
      client: this.options.client,
      bucket: this.options.bucket,
      prefix: this.objects.root,
      putObject: (relativeKey, body, putOptions) => {
        const put = this.put(relativeKey, body, putOptions?.contentType, written);
        // Tracked (and so never an unhandled rejection) even when the function does not await it.
        settled.push(
          put.then(
            () => undefined,
            (error: unknown) => ({ error }),
          ),
        );
        return put;
      },
    };
    await this.options.fn(rows, batchId, {
      queryName: this.options.query,
      partition: this.options.shard,
      services: { ...this.options.services, s3 },
    });
    const failed = (await Promise.all(settled)).find((outcome) => outcome !== undefined);
    if (failed !== undefined) throw failed.error;
    const objects: ManifestObject[] = [...written.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, bytes]) => ({ key, bytes }));
    return writeDeadLettersAndManifest(
      this.objects,
      {
        query: this.options.query,
        batchId,
        shard: this.options.shard,
        outputMode: this.options.outputMode,
        sink: 'foreachBatch',
        format: null,
        partitionBy: [],
        keyColumns: null,
        columns: [],
        files: [],
        objects,
        totalRows: rows.length,
      },
      context.deadLetters,
      context.droppedRows,
    );
  }

  private async put(
    relativeKey: string,
    body: string | Uint8Array,
    contentType: string | undefined,
    written: Map<string, number>,
  ): Promise<string> {
    checkRelativeKey(relativeKey);
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    await this.objects.put(relativeKey, bytes, contentType ?? 'application/octet-stream');
    written.set(relativeKey, bytes.byteLength);
    return this.objects.keyOf(relativeKey);
  }
}

function checkRelativeKey(key: string): void {
  if (key === '' || key.startsWith('/'))
    throw new InvalidOutputKeyError(key, 'it must be a non-empty relative key');
  if (key.split('/').some((segment) => segment === '..' || segment === '.' || segment === '')) {
    throw new InvalidOutputKeyError(key, "its path has empty, '.' or '..' segments");
  }
  const reserved = RESERVED_DIRS.find((dir) => key.startsWith(dir));
  if (reserved !== undefined) throw new InvalidOutputKeyError(key, `${reserved} belongs to sluice`);
}
