import type { BatchId, OutputMode } from '../../types.js';
import { ManifestFormatError } from '../errors.js';
import type { ColumnSpec, ColumnType } from './column-types.js';
import { S3_LAYOUT } from './layout.js';

/** A data object of a batch. `key` is relative to the query root. */
export interface ManifestFile {
  readonly key: string;
  readonly rows: number;
  readonly bytes: number;
  /** Partition column → the rows' value (as JSON), in `partitionBy` order; `{}` when unpartitioned. */
  readonly partition: Readonly<Record<string, unknown>>;
}

/** An object a `foreachBatch` function wrote through the S3 helper. */
export interface ManifestObject {
  readonly key: string;
  readonly bytes: number;
}

/**
 * `_manifest/<batchId:020>.json`, written last in a batch's `addBatch` (format version 1).
 * Readers trust only the objects a manifest lists, so a batch that crashed half-way shows
 * nothing until its replay writes the manifest. Every field is always present (`null` when it
 * does not apply) and written in this order, so a replay writes the same bytes.
 *
 * - `sink`: `files` (data objects in `files`), `foreachBatch` (user objects in `objects`) or
 *   `exchange` (stage 1 of a two-stage query: its rows went to the exchange, so the manifest only
 *   lists the batch's dead letters; written only for batches that have some).
 * - `format`, `partitionBy`, `columns`: how the data objects are written; `columns` excludes
 *   the partition columns, whose values are in each file's `partition`.
 * - `keyColumns`: the columns identifying a result row in update and complete modes (readers
 *   keep the newest row per key), when the sink knew them.
 * - `deadLetters`: the batch's dead-letter object and its line count, or `null`.
 * - `lateRows`: the batch's late-rows object (`_late/`, rows the watermark dropped, when the query
 *   keeps them) and its line count, or `null`. Manifests written before it existed read as `null`.
 * - `totalRows`: rows written to data objects (files) or handed to the function (foreachBatch).
 */
export interface BatchManifest {
  readonly formatVersion: number;
  readonly query: string;
  readonly batchId: BatchId;
  readonly shard: string;
  readonly outputMode: OutputMode;
  readonly sink: 'files' | 'foreachBatch' | 'exchange';
  readonly format: 'jsonl' | 'parquet' | null;
  readonly partitionBy: readonly string[];
  readonly keyColumns: readonly string[] | null;
  readonly columns: readonly ColumnSpec[];
  readonly files: readonly ManifestFile[];
  readonly objects: readonly ManifestObject[];
  readonly deadLetters: { readonly key: string; readonly count: number } | null;
  readonly lateRows: { readonly key: string; readonly count: number } | null;
  readonly totalRows: number;
}

/** The manifest's bytes: fields in a fixed order, two-space indented, newline-terminated. */
export function serializeManifest(manifest: BatchManifest): Uint8Array {
  const ordered = {
    formatVersion: manifest.formatVersion,
    query: manifest.query,
    batchId: manifest.batchId,
    shard: manifest.shard,
    outputMode: manifest.outputMode,
    sink: manifest.sink,
    format: manifest.format,
    partitionBy: manifest.partitionBy,
    keyColumns: manifest.keyColumns,
    columns: manifest.columns.map((column) => ({ name: column.name, type: column.type })),
    files: manifest.files.map((file) => ({
      key: file.key,
      rows: file.rows,
      bytes: file.bytes,
      partition: file.partition,
    })),
    objects: manifest.objects.map((object) => ({ key: object.key, bytes: object.bytes })),
    deadLetters:
      manifest.deadLetters === null
        ? null
        : { key: manifest.deadLetters.key, count: manifest.deadLetters.count },
    lateRows:
      manifest.lateRows === null ? null : { key: manifest.lateRows.key, count: manifest.lateRows.count },
    totalRows: manifest.totalRows,
  };
  return new TextEncoder().encode(`${JSON.stringify(ordered, null, 2)}\n`);
}

const COLUMN_TYPES: ReadonlySet<ColumnType> = new Set([
  'boolean',
  'int64',
  'double',
  'string',
  'timestamp',
  'window',
  'json',
  'binary',
]);

/** Parses and checks a manifest; a newer format version or a malformed one is a {@link ManifestFormatError}. */
export function parseManifest(key: string, bytes: Uint8Array): BatchManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ManifestFormatError(key, `it is not JSON (${(error as Error).message})`);
  }
  const manifest = parsed as Partial<BatchManifest> | null;
  if (typeof manifest !== 'object' || manifest === null)
    throw new ManifestFormatError(key, 'it is not an object');
  if (manifest.formatVersion !== S3_LAYOUT.formatVersion) {
    throw new ManifestFormatError(
      key,
      `its format version is ${String(manifest.formatVersion)}, this reader knows ${S3_LAYOUT.formatVersion}`,
    );
  }
  const valid =
    typeof manifest.batchId === 'number' &&
    typeof manifest.shard === 'string' &&
    Array.isArray(manifest.files) &&
    Array.isArray(manifest.objects) &&
    Array.isArray(manifest.columns) &&
    manifest.columns.every((column) => COLUMN_TYPES.has(column.type)) &&
    (manifest.sink === 'foreachBatch' ||
      manifest.sink === 'exchange' ||
      manifest.format === 'jsonl' ||
      manifest.format === 'parquet');
  if (!valid) throw new ManifestFormatError(key, 'a required field is missing or has the wrong type');
  return { ...manifest, lateRows: manifest.lateRows ?? null } as BatchManifest;
}
