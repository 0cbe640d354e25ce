import type { BatchId } from '../../types.js';

/**
 * The S3 layout of a query's outputs (format version 1). Every key below is relative to the
 * query root `PREFIX/QUERY/`:
 *
 * ```
 * data/[col=value/...]part-<batchId:020>-<shard>-<n:05>.<jsonl|parquet>   data objects
 * _manifest/<batchId:020>.json                                             one per batch, written last
 * _dead/<batchId:020>-<shard>.jsonl                                        dead letters of a batch
 * _late/<batchId:020>-<shard>.jsonl                                        rows the watermark dropped (when kept)
 * _progress/<shard>/<batchId:020>.json                                     progress records
 * ```
 *
 * Batch ids are zero-padded to 20 digits so that a key listing is in batch order. Partition
 * directories, and the shard inside names, are escaped as Hive and Spark escape partition paths
 * (`%XX` for control characters and `"#%'*\/:=?\\{[]^` plus DEL); a null or empty value is
 * `__HIVE_DEFAULT_PARTITION__`. Batch ids are unique per query, so one manifest per batch id
 * needs no shard in its name.
 */
export const S3_LAYOUT = {
  formatVersion: 1,
  dataDir: 'data/',
  manifestDir: '_manifest/',
  deadLetterDir: '_dead/',
  lateRowsDir: '_late/',
  progressDir: '_progress/',
  /** Hive's name for a null (or empty) partition value. */
  defaultPartitionName: '__HIVE_DEFAULT_PARTITION__',
} as const;

/** Directories below the query root that sluice owns; user objects must not go there. */
export const RESERVED_DIRS: readonly string[] = [
  S3_LAYOUT.manifestDir,
  S3_LAYOUT.deadLetterDir,
  S3_LAYOUT.lateRowsDir,
  S3_LAYOUT.progressDir,
];

const BATCH_ID_DIGITS = 20;
const PART_DIGITS = 5;
const MANIFEST_NAME = /^(\d{20})\.json$/;

/** `PREFIX/QUERY/` with single slashes; an empty prefix gives `QUERY/`. */
export function queryRoot(prefix: string, query: string): string {
  const parts = [...prefix.split('/'), query].filter((part) => part !== '');
  return `${parts.join('/')}/`;
}

/** A batch id as 20 digits, so that lexicographic key order is batch order. */
export function padBatchId(batchId: BatchId): string {
  return String(batchId).padStart(BATCH_ID_DIGITS, '0');
}

/** `_manifest/<batchId:020>.json` */
export function manifestKey(batchId: BatchId): string {
  return `${S3_LAYOUT.manifestDir}${padBatchId(batchId)}.json`;
}

/** The batch id in a `<batchId:020>.json` name (manifests, progress records), or `undefined` for any other name. */
export function batchIdOfJsonName(name: string): BatchId | undefined {
  const match = MANIFEST_NAME.exec(name);
  return match === null ? undefined : Number(match[1]);
}

/** `_dead/<batchId:020>-<shard>.jsonl` */
export function deadLetterKey(batchId: BatchId, shard: string): string {
  return `${S3_LAYOUT.deadLetterDir}${padBatchId(batchId)}-${escapePathName(shard)}.jsonl`;
}

/** `_late/<batchId:020>-<shard>.jsonl` */
export function lateRowsKey(batchId: BatchId, shard: string): string {
  return `${S3_LAYOUT.lateRowsDir}${padBatchId(batchId)}-${escapePathName(shard)}.jsonl`;
}

/** `_progress/<shard>/<batchId:020>.json` */
export function progressKey(shard: string, batchId: BatchId): string {
  return `${S3_LAYOUT.progressDir}${escapePathName(shard)}/${padBatchId(batchId)}.json`;
}

/** `data/<partitionPath>part-<batchId:020>-<shard>-<n:05>.<ext>`; `partitionPath` is empty or ends with `/`. */
export function dataKey(
  partitionPath: string,
  batchId: BatchId,
  shard: string,
  part: number,
  extension: string,
): string {
  const n = String(part).padStart(PART_DIGITS, '0');
  return `${S3_LAYOUT.dataDir}${partitionPath}part-${padBatchId(batchId)}-${escapePathName(shard)}-${n}.${extension}`;
}

/** `col=value/` segments for the given columns and formatted values (`null` = no value). */
export function partitionPath(columns: readonly string[], values: readonly (string | null)[]): string {
  return columns
    .map((column, i) => {
      const value = values[i];
      const formatted =
        value === null || value === undefined || value === ''
          ? S3_LAYOUT.defaultPartitionName
          : escapePathName(value);
      return `${escapePathName(column)}=${formatted}/`;
    })
    .join('');
}

const ESCAPED = new Set(['"', '#', '%', "'", '*', '/', ':', '=', '?', '\\', '\u007f', '{', '[', ']', '^']);

function needsEscaping(char: string): boolean {
  const code = char.charCodeAt(0);
  return (code >= 0x01 && code <= 0x1f) || ESCAPED.has(char);
}

/**
 * Escapes a path segment like Hive's `FileUtils.escapePathName` (and Spark's
 * `ExternalCatalogUtils`), so that Athena, Glue crawlers and Spark read the partition values back.
 */
export function escapePathName(text: string): string {
  let out = '';
  for (const char of text) {
    out += needsEscaping(char) ? `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}` : char;
  }
  return out;
}
