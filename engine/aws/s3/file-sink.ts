import type { DeadLetter } from '../../runtime/dead-letter.js';
import type { DroppedRow } from '../../runtime/operator.js';
import type { Sink, SinkBatchContext } from '../../sinks/sink.js';
import type { BatchId, OutputMode, Row } from '../../types.js';
import { InvalidSinkOptionsError } from '../errors.js';
import { CONTENT_TYPES, writeDeadLettersAndManifest } from './batch-manifest-writer.js';
import { splitByColumnBudget } from './column-budget.js';
import {
  type ColumnSpec,
  type ColumnTyping,
  coerceValue,
  declaredType,
  inferColumns,
} from './column-types.js';
import { encodeJsonLines } from './jsonl-format.js';
import { dataKey } from './layout.js';
import type { BatchManifest, ManifestFile } from './manifest.js';
import { DEFAULT_MAX_COLUMNS, screenColumnCount, screenKeyLengths } from './output-limits.js';
import { encodeParquet } from './parquet-format.js';
import { chunk, groupByPartition } from './partitioning.js';
import {
  DEFAULT_S3_CONCURRENCY,
  mapConcurrently,
  QueryObjects,
  type S3OutputLocation,
} from './s3-objects.js';

/** Rows per data object unless told otherwise; larger partitions are split into several parts. */
export const DEFAULT_MAX_ROWS_PER_PART = 100_000;

/** Options of {@link S3FileSink}. */
export interface S3FileSinkOptions extends S3OutputLocation, ColumnTyping {
  /** The query partition writing (the Kinesis shard id, `'0'` locally); part of every object name. */
  readonly shard: string;
  readonly outputMode: OutputMode;
  readonly format: 'jsonl' | 'parquet';
  /** Partition directories `col=value/`, Hive style; the columns leave the data objects. @default [] */
  readonly partitionBy?: readonly string[];
  /** @default {@link DEFAULT_MAX_ROWS_PER_PART} */
  readonly maxRowsPerPart?: number;
  /**
   * Parquet only: rows × columns one file may span before rows bringing new columns start another
   * (sparse schema-less rows; see `column-budget.ts`). @default {@link MAX_CELLS_PER_FILE}
   */
  readonly maxCellsPerFile?: number;
  /**
   * Columns identifying a result row in update and complete modes, recorded in every manifest
   * so that readers can keep the newest row per key (e.g. `['window', 'word']`). @default none
   */
  readonly keyColumns?: readonly string[];
  /** Parallel PUTs. @default {@link DEFAULT_S3_CONCURRENCY} */
  readonly concurrency?: number;
  /** Distinct columns per batch; rows beyond it are dead letters. @default {@link DEFAULT_MAX_COLUMNS} */
  readonly maxColumns?: number;
}

/**
 * Spark's file sink on S3, idempotent per batch id without any S3 transaction:
 *
 * ```
 * addBatch(batchId, rows, {deadLetters}):
 *   rows whose declared column types do not fit → dead letters (reason, row, operator 'S3FileSink')
 *   rows beyond maxColumns distinct columns, rows whose partition makes keys > 1,024 bytes → dead letters
 *   columns = declared or inferred types over the batch (one schema per batch)
 *   for each partition (first-appearance order), for each slice of ≤ maxRowsPerPart rows
 *   (Parquet: also ≤ maxCellsPerFile rows × columns when rows bring new columns):
 *     PUT data/<col=value/...>part-<batchId:020>-<shard>-<n:05>.<ext>     (parallel, n counts up per batch)
 *   PUT _dead/<batchId:020>-<shard>.jsonl                                   (when there are dead letters)
 *   PUT _late/<batchId:020>-<shard>.jsonl                                   (when late rows are kept and some were dropped)
 *   PUT _manifest/<batchId:020>.json                                        (always, last)
 * ```
 *
 * Keys and bytes depend only on (batch id, shard, rows, options): a replay rewrites the same
 * objects, and readers see a batch only once its manifest exists, so a crash before the manifest
 * leaves nothing visible. An empty batch still writes its manifest, so readers know it ran.
 *
 * @example
 * const sink = new S3FileSink({ client, bucket: 'out', prefix: 'prod', query: 'page-views',
 *   shard: 'shardId-000000000000', outputMode: 'append', format: 'parquet', partitionBy: ['country'],
 *   timestampColumns: ['ts'] });
 */
export class S3FileSink implements Sink {
  readonly description: string;
  private readonly objects: QueryObjects;
  private readonly partitionBy: readonly string[];
  private readonly maxRowsPerPart: number;
  private readonly concurrency: number;
  private readonly maxColumns: number;

  constructor(private readonly options: S3FileSinkOptions) {
    this.objects = QueryObjects.at(options);
    this.partitionBy = options.partitionBy ?? [];
    this.maxRowsPerPart = positiveInteger(
      'maxRowsPerPart',
      options.maxRowsPerPart ?? DEFAULT_MAX_ROWS_PER_PART,
    );
    this.concurrency = positiveInteger('concurrency', options.concurrency ?? DEFAULT_S3_CONCURRENCY);
    this.maxColumns = positiveInteger('maxColumns', options.maxColumns ?? DEFAULT_MAX_COLUMNS);
    if (new Set(this.partitionBy).size !== this.partitionBy.length) {
      throw new InvalidSinkOptionsError('partitionBy', `columns repeat in [${this.partitionBy.join(', ')}]`);
    }
    this.description = `S3FileSink[${options.format} s3://${options.bucket}/${this.objects.root}]`;
  }

  async addBatch(batchId: BatchId, rows: readonly Row[], context: SinkBatchContext): Promise<void> {
    await this.write(batchId, rows, context.deadLetters, context.droppedRows);
  }

  /** Everything `addBatch` does except the PUTs: screening and encoding (poison isolation's probe). */
  check(batchId: BatchId, rows: readonly Row[]): void {
    const { parts } = this.prepare(batchId, rows);
    for (const part of parts) this.encode(part.rows, part.columns);
  }

  /** `addBatch`, returning the manifest it wrote (for tools and tests). */
  async write(
    batchId: BatchId,
    rows: readonly Row[],
    deadLetters: readonly DeadLetter[],
    lateRows: readonly DroppedRow[] = [],
  ): Promise<BatchManifest> {
    const { accepted, rejected, columns, parts } = this.prepare(batchId, rows);
    const extension = this.options.format;
    const files = await mapConcurrently(parts, this.concurrency, async (part, n): Promise<ManifestFile> => {
      const key = dataKey(part.group.path, batchId, this.options.shard, n, extension);
      const body = this.encode(part.rows, part.columns);
      await this.objects.put(key, body, CONTENT_TYPES[extension]);
      return { key, rows: part.rows.length, bytes: body.byteLength, partition: part.group.values };
    });
    return writeDeadLettersAndManifest(
      this.objects,
      {
        query: this.options.query,
        batchId,
        shard: this.options.shard,
        outputMode: this.options.outputMode,
        sink: 'files',
        format: this.options.format,
        partitionBy: this.partitionBy,
        keyColumns: this.options.keyColumns ?? null,
        columns,
        files,
        objects: [],
        totalRows: accepted.length,
      },
      [...deadLetters, ...rejected],
      lateRows,
    );
  }

  /**
   * The batch's rows screened (declared types, distinct columns, object key lengths: rows that
   * break them are dead letters), its columns and its parts. Deterministic in the rows.
   */
  private prepare(_batchId: BatchId, rows: readonly Row[]) {
    const typed = this.checkDeclaredTypes(rows);
    const counted = screenColumnCount(typed.accepted, this.partitionBy, this.maxColumns);
    const keyed = screenKeyLengths(
      groupByPartition(counted.accepted, this.partitionBy, this.options),
      this.objects.root,
      this.options.shard,
      this.options.format,
    );
    const accepted =
      keyed.rejected.length === 0 ? counted.accepted : keyed.kept.flatMap((group) => group.rows);
    const columns = inferColumns(accepted, this.partitionBy, this.options);
    // JSON Lines files are written row by row; Parquet files column by column over all their
    // rows, so sparse schema-less rows are spread over narrower files (column-budget.ts).
    const parts = keyed.kept.flatMap((group) =>
      this.options.format === 'parquet'
        ? splitByColumnBudget(group.rows, columns, this.maxRowsPerPart, this.options.maxCellsPerFile).map(
            (part) => ({ group, ...part }),
          )
        : chunk(group.rows, this.maxRowsPerPart).map((partRows) => ({ group, rows: partRows, columns })),
    );
    const rejected = [...typed.rejected, ...counted.rejected, ...keyed.rejected];
    return { accepted, rejected, columns, parts };
  }

  private encode(rows: readonly Row[], columns: readonly ColumnSpec[]): Uint8Array {
    return this.options.format === 'parquet' ? encodeParquet(rows, columns) : encodeJsonLines(rows, columns);
  }

  /** Rows whose declared columns hold values of another type become dead letters instead of failing the batch. */
  private checkDeclaredTypes(rows: readonly Row[]): { accepted: Row[]; rejected: DeadLetter[] } {
    const declared = new Set([
      ...(this.options.timestampColumns ?? []),
      ...Object.keys(this.options.columnTypes ?? {}),
    ]);
    if (declared.size === 0) return { accepted: [...rows], rejected: [] };
    const accepted: Row[] = [];
    const rejected: DeadLetter[] = [];
    for (const row of rows) {
      const problem = [...declared].flatMap((column) => {
        const type = declaredType(column, this.options)!;
        const result = coerceValue(row[column], type);
        return result.ok ? [] : [`column '${column}' is declared ${type}: ${result.reason}`];
      });
      if (problem.length === 0) accepted.push(row);
      else rejected.push({ reason: `${problem.join('; ')}`, row, operator: 'S3FileSink' });
    }
    return { accepted, rejected };
  }
}

function positiveInteger(option: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidSinkOptionsError(option, `expected a positive integer, got ${String(value)}`);
  }
  return value;
}
