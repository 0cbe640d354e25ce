import type { BatchId, Row } from '../../types.js';
import { ManifestFormatError, MissingKeyColumnsError } from '../errors.js';
import { decodeDeadLetters, type StoredDeadLetter } from './dead-letter-format.js';
import { decodeJsonLines } from './jsonl-format.js';
import { decodeLateRows, type StoredLateRow } from './late-rows-format.js';
import { batchIdOfJsonName, padBatchId, S3_LAYOUT } from './layout.js';
import { type BatchManifest, type ManifestFile, parseManifest } from './manifest.js';
import { decodeParquet } from './parquet-format.js';
import {
  DEFAULT_S3_CONCURRENCY,
  mapConcurrently,
  QueryObjects,
  type S3OutputLocation,
} from './s3-objects.js';
import { latestRowPerKey } from './upsert.js';

/** Options of {@link S3OutputReader}. */
export interface S3OutputReaderOptions extends S3OutputLocation {
  /** Parallel GETs. @default {@link DEFAULT_S3_CONCURRENCY} */
  readonly concurrency?: number;
}

/** Which batches to read. */
export interface BatchRange {
  /** Only batches with an id ≥ this. @default all */
  readonly fromBatchId?: BatchId;
}

/** How to read rows. */
export interface ReadRowsOptions extends BatchRange {
  /**
   * `log`: every row of every batch, in batch order. `table`: the result table: for update and
   * complete modes the newest row per key (an upsert log), for append mode the log.
   * @default 'log'
   */
  readonly view?: 'log' | 'table';
  /** Key columns for the `table` view. @default the newest manifest's `keyColumns` */
  readonly keyColumns?: readonly string[];
}

/** One manifested batch and its rows. */
export interface ReadBatch {
  readonly manifest: BatchManifest;
  readonly rows: Row[];
}

/**
 * Reads a query's outputs the way the protocol promises them: only batches with a manifest, and
 * only the objects a manifest lists (a data object left by a batch that crashed before its
 * manifest is ignored, and its replay rewrites the same keys). Listings follow continuation
 * tokens, so any number of batches works.
 *
 * Rows come back as the sink got them (epoch ms for timestamps and windows, numbers for INT64),
 * in batch order; within a batch, partition by partition and part by part, each in the order
 * written. Partition columns are restored from the manifest and come last in each row; a
 * Parquet column missing from a written row reads back as `null`.
 *
 * @example
 * const reader = new S3OutputReader({ client, bucket: 'out', prefix: 'prod', query: 'counts' });
 * const table = await reader.readRows({ view: 'table' });
 */
export class S3OutputReader {
  private readonly objects: QueryObjects;
  private readonly concurrency: number;

  constructor(private readonly options: S3OutputReaderOptions) {
    this.objects = QueryObjects.at(options);
    this.concurrency = options.concurrency ?? DEFAULT_S3_CONCURRENCY;
  }

  /** The manifests, in batch order. */
  async manifests(range: BatchRange = {}): Promise<BatchManifest[]> {
    const startAfter =
      range.fromBatchId === undefined
        ? undefined
        : `${S3_LAYOUT.manifestDir}${padBatchId(range.fromBatchId)}`;
    const keys = await this.objects.list(S3_LAYOUT.manifestDir, startAfter);
    const batches = keys.flatMap((key) => {
      const batchId = batchIdOfJsonName(key.slice(S3_LAYOUT.manifestDir.length));
      return batchId === undefined ? [] : [{ key, batchId }];
    });
    return mapConcurrently(batches, this.concurrency, async ({ key, batchId }) => {
      const manifest = parseManifest(this.objects.keyOf(key), await this.objects.get(key));
      if (manifest.batchId !== batchId) {
        throw new ManifestFormatError(this.objects.keyOf(key), `it describes batch ${manifest.batchId}`);
      }
      return manifest;
    });
  }

  /** Every manifested batch with its rows. */
  async readBatches(range: BatchRange = {}): Promise<ReadBatch[]> {
    const manifests = await this.manifests(range);
    const files = manifests.flatMap((manifest) => manifest.files.map((file) => ({ manifest, file })));
    const rowsPerFile = await mapConcurrently(files, this.concurrency, ({ manifest, file }) =>
      this.readFile(manifest, file),
    );
    let next = 0;
    return manifests.map((manifest) => ({
      manifest,
      rows: manifest.files.flatMap(() => rowsPerFile[next++] ?? []),
    }));
  }

  /** Rows of every manifested batch, as a log or as the result table (see {@link ReadRowsOptions}). */
  async readRows(options: ReadRowsOptions = {}): Promise<Row[]> {
    const batches = await this.readBatches(options);
    const rows = batches.flatMap((batch) => batch.rows);
    if ((options.view ?? 'log') === 'log') return rows;
    const newest = batches.at(-1)?.manifest;
    if (newest === undefined || newest.outputMode === 'append') return rows;
    const keyColumns =
      options.keyColumns ??
      batches.findLast((batch) => batch.manifest.keyColumns !== null)?.manifest.keyColumns;
    if (keyColumns === undefined || keyColumns === null) {
      throw new MissingKeyColumnsError(this.options.query, newest.outputMode);
    }
    return latestRowPerKey(rows, keyColumns);
  }

  /** Dead letters of every manifested batch, in batch order. */
  async readDeadLetters(range: BatchRange = {}): Promise<StoredDeadLetter[]> {
    const keys = (await this.manifests(range)).flatMap((manifest) =>
      manifest.deadLetters === null ? [] : [manifest.deadLetters.key],
    );
    const perObject = await mapConcurrently(keys, this.concurrency, async (key) =>
      decodeDeadLetters(await this.objects.get(key)),
    );
    return perObject.flat();
  }

  /** Rows the watermark dropped, of every manifested batch that kept them, in batch order. */
  async readLateRows(range: BatchRange = {}): Promise<StoredLateRow[]> {
    const keys = (await this.manifests(range)).flatMap((manifest) =>
      manifest.lateRows === null ? [] : [manifest.lateRows.key],
    );
    const perObject = await mapConcurrently(keys, this.concurrency, async (key) =>
      decodeLateRows(await this.objects.get(key)),
    );
    return perObject.flat();
  }

  private async readFile(manifest: BatchManifest, file: ManifestFile): Promise<Row[]> {
    const bytes = await this.objects.get(file.key);
    const decoded =
      manifest.format === 'parquet'
        ? await decodeParquet(bytes, manifest.columns)
        : decodeJsonLines(bytes, manifest.columns);
    // A Parquet file without data columns (all columns are partition columns) holds no rows.
    const rows =
      decoded.length === 0 && manifest.columns.length === 0
        ? Array.from({ length: file.rows }, (): Row => ({}))
        : decoded;
    for (const row of rows) Object.assign(row, file.partition);
    return rows;
  }
}
