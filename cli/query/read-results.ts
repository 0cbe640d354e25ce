import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { S3RequestError } from '../../engine/aws/errors.js';
import {
  type BatchManifest,
  decodeJsonLines,
  latestRowPerKey,
  mapConcurrently,
  QueryObjects,
  queryRoot,
  S3OutputReader,
} from '../../engine/aws/s3/index.js';
import type { Row } from '../../engine/types.js';
import {
  CliError,
  InvalidOptionError,
  MissingKeyColumnsError,
  NoSuchResourceError,
  UnknownQueryError,
} from '../errors.js';
import { translateAwsError } from '../target/aws-errors.js';
import { requireBucket } from '../target/resolve.js';
import type { QueryLocation, Target } from '../target/target.js';

/** A column of a result and how to render its values. */
export interface ResultColumn {
  readonly name: string;
  /** The sink's column type (`timestamp`, `window`, `int64`, ...) or `json` when unknown. */
  readonly type: string;
}

/** A query's results as read from S3. */
export interface QueryResult {
  readonly query: string;
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly Row[];
  /** Manifested batches read. */
  readonly batches: number;
  readonly outputMode: string | undefined;
  readonly sink: 'files' | 'foreachBatch' | undefined;
}

/** Which rows to read. */
export interface ReadResultsOptions {
  /** `table`: the result table (newest row per key for update/complete); `log`: every row written. */
  readonly view: 'table' | 'log';
  /** Key columns for the table view of an upsert log, when the manifests do not name them. */
  readonly keyColumns?: readonly string[];
}

/**
 * Reads a query's manifested outputs (never an object a manifest does not list). Files sinks give
 * their rows; `foreachBatch` sinks give the rows of the JSON (Lines) objects the function wrote
 * through the S3 helper. Update and complete modes are upsert logs: the table view keeps the newest
 * row per key. A query with no outputs at all on AWS is an {@link UnknownQueryError} listing the
 * queries that have some.
 */
export async function readResults(
  target: Target,
  query: QueryLocation,
  options: ReadResultsOptions,
): Promise<QueryResult> {
  const bucket = requireBucket(query);
  const location = { client: target.clients.s3, bucket, prefix: query.prefix, query: query.name };
  try {
    const reader = new S3OutputReader(location);
    const manifests = await reader.manifests();
    const newest = manifests.at(-1);
    if (newest === undefined) {
      if (target.mode === 'aws') await requireSomeOutput(target, query, bucket);
      return { query: query.name, columns: [], rows: [], batches: 0, outputMode: undefined, sink: undefined };
    }
    if (newest.sink === 'foreachBatch') {
      const rows = await readForeachBatchObjects(QueryObjects.at(location), manifests);
      return {
        query: query.name,
        columns: inferColumns(rows),
        rows,
        batches: manifests.length,
        outputMode: newest.outputMode,
        sink: 'foreachBatch',
      };
    }
    const batches = await reader.readBatches();
    const log = batches.flatMap((batch) => batch.rows);
    const rows =
      options.view === 'log' || newest.outputMode === 'append'
        ? log
        : latestRowPerKey(log, keyColumnsFor(query, manifests, options));
    return {
      query: query.name,
      columns: columnsOf(manifests),
      rows,
      batches: manifests.length,
      outputMode: newest.outputMode,
      sink: 'files',
    };
  } catch (error) {
    throw translateS3Error(error, target, bucket);
  }
}

function keyColumnsFor(
  query: QueryLocation,
  manifests: readonly BatchManifest[],
  options: ReadResultsOptions,
): readonly string[] {
  const keys =
    options.keyColumns ??
    manifests.findLast((manifest) => manifest.keyColumns !== null)?.keyColumns ??
    query.keyColumns;
  if (keys === undefined || keys === null || keys.length === 0) {
    throw new MissingKeyColumnsError(
      query.name,
      manifests.at(-1)?.outputMode ?? 'update',
      columnsOf(manifests).map((column) => column.name),
    );
  }
  const known = columnsOf(manifests).map((column) => column.name);
  const missing = keys.filter((key) => !known.includes(key));
  if (missing.length > 0) {
    throw new InvalidOptionError(
      '--key',
      keys.join(','),
      `no column ${missing.join(', ')}; use some of ${known.join(', ')}`,
    );
  }
  return keys;
}

/**
 * The result's columns: every column any batch wrote, in first-written order, partition columns
 * last (a batch that wrote no rows records no columns, so the newest manifest alone is not enough).
 */
function columnsOf(manifests: readonly BatchManifest[]): ResultColumn[] {
  const columns = new Map<string, ResultColumn>();
  const partitions = new Map<string, ResultColumn>();
  for (const manifest of manifests) {
    for (const column of manifest.columns) if (!columns.has(column.name)) columns.set(column.name, column);
    for (const name of manifest.partitionBy)
      if (!partitions.has(name)) partitions.set(name, { name, type: 'string' });
  }
  return [...columns.values(), ...[...partitions.values()].filter((column) => !columns.has(column.name))];
}

/** Rows of the JSON Lines (or JSON) objects a foreachBatch function wrote, in batch and key order. */
async function readForeachBatchObjects(
  objects: QueryObjects,
  manifests: readonly BatchManifest[],
): Promise<Row[]> {
  const keys = manifests.flatMap((manifest) => manifest.objects.map((object) => object.key));
  const perObject = await mapConcurrently(keys, 8, async (key) => parseObjectRows(await objects.get(key)));
  return perObject.flat();
}

function parseObjectRows(bytes: Uint8Array): Row[] {
  const text = new TextDecoder().decode(bytes).trim();
  if (text === '') return [];
  try {
    const whole: unknown = JSON.parse(text);
    if (Array.isArray(whole)) return whole.filter(isRow);
    if (isRow(whole)) return [whole];
  } catch {
    // not one JSON value: try JSON Lines
  }
  try {
    return decodeJsonLines(bytes, []).filter(isRow);
  } catch {
    return [];
  }
}

function isRow(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function inferColumns(rows: readonly Row[]): ResultColumn[] {
  const names: string[] = [];
  for (const row of rows) for (const name of Object.keys(row)) if (!names.includes(name)) names.push(name);
  return names.map((name) => ({ name, type: 'json' }));
}

/** On AWS, a query root with no objects at all means the name is wrong: list the ones that exist. */
async function requireSomeOutput(target: Target, query: QueryLocation, bucket: string): Promise<void> {
  const root = queryRoot(query.prefix, query.name);
  const one = await target.clients.s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: root, MaxKeys: 1 }),
  );
  if ((one.KeyCount ?? 0) > 0) return;
  const parent = root.slice(0, root.length - query.name.length - 1);
  const listing = await target.clients.s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: parent, Delimiter: '/', MaxKeys: 100 }),
  );
  const known = (listing.CommonPrefixes ?? []).flatMap((entry) =>
    entry.Prefix === undefined ? [] : [entry.Prefix.slice(parent.length).replace(/\/$/, '')],
  );
  throw new UnknownQueryError(query.name, known, `in s3://${bucket}/${parent}`);
}

export function translateS3Error(error: unknown, target: Target, bucket: string): unknown {
  if (error instanceof CliError) return error;
  const cause = error instanceof S3RequestError ? error.cause : error;
  const name = (cause as { name?: string } | undefined)?.name;
  if (name === 'NoSuchBucket') {
    return new NoSuchResourceError('bucket', bucket, target.where, error);
  }
  const translated = translateAwsError(cause, target, 's3');
  return translated === cause ? error : translated;
}
