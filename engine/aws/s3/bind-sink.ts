import type { Sink, SinkSpec } from '../../sinks/sink.js';
import type { OutputMode } from '../../types.js';
import { UnsupportedSinkError } from '../errors.js';
import type { ColumnTyping } from './column-types.js';
import { S3FileSink } from './file-sink.js';
import { S3ForeachBatchSink } from './foreach-batch-sink.js';
import type { S3OutputLocation } from './s3-objects.js';

/** What the AWS runtime knows when it binds a query's sink for one shard. */
export interface BindSinkOptions extends S3OutputLocation, ColumnTyping {
  /** The Kinesis shard id (the query partition). */
  readonly shard: string;
  readonly outputMode: OutputMode;
  /** File sinks: rows per data object. @default `DEFAULT_MAX_ROWS_PER_PART` */
  readonly maxRowsPerPart?: number;
  /** File sinks: result-row keys for update/complete readers (see `keyColumnsOf(query.plan)`). @default none */
  readonly keyColumns?: readonly string[];
  /** Parallel PUTs. @default `DEFAULT_S3_CONCURRENCY` */
  readonly concurrency?: number;
  /** foreachBatch: services next to `s3` in the function's context. @default {} */
  readonly services?: Readonly<Record<string, unknown>>;
}

/**
 * Binds a query's {@link SinkSpec} to an S3 sink for one shard: `files` to {@link S3FileSink},
 * `foreachBatch` to {@link S3ForeachBatchSink}. `memory` and `console` are test and demo sinks of
 * the engine and throw {@link UnsupportedSinkError} here.
 *
 * @example
 * const sink = bindSink(query.sink, { client, bucket, prefix, query: query.name, shard,
 *   outputMode: query.outputMode, keyColumns: keyColumnsOf(query.plan) });
 */
export function bindSink(spec: SinkSpec, options: BindSinkOptions): Sink {
  const location: S3OutputLocation = {
    client: options.client,
    bucket: options.bucket,
    prefix: options.prefix,
    query: options.query,
  };
  switch (spec.kind) {
    case 'files':
      return new S3FileSink({
        ...location,
        shard: options.shard,
        outputMode: options.outputMode,
        format: spec.format,
        partitionBy: spec.partitionBy,
        maxRowsPerPart: options.maxRowsPerPart,
        keyColumns: options.keyColumns,
        concurrency: options.concurrency,
        timestampColumns: options.timestampColumns,
        columnTypes: options.columnTypes,
      });
    case 'foreachBatch':
      return new S3ForeachBatchSink({
        ...location,
        shard: options.shard,
        outputMode: options.outputMode,
        fn: spec.fn,
        services: options.services,
      });
    case 'memory':
    case 'console':
    case 'exchange': // the handler refuses two-stage queries before binding (see kinesisHandler)
      throw new UnsupportedSinkError(spec.kind);
  }
}
