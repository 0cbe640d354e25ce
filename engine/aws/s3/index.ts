// S3 outputs of the AWS runtime: file and foreachBatch sinks, progress objects, and the reader
// that trusts only manifested objects. The layout is documented in layout.ts and manifest.ts.
export { type ManifestDraft, writeDeadLettersAndManifest } from './batch-manifest-writer.js';
export { type BindSinkOptions, bindSink } from './bind-sink.js';
export {
  type ColumnSpec,
  type ColumnType,
  type ColumnTyping,
  inferColumns,
  inferType,
} from './column-types.js';
export { decodeDeadLetters, encodeDeadLetters, type StoredDeadLetter } from './dead-letter-format.js';
export { ExchangeDeadLetterSink, type ExchangeDeadLetterSinkOptions } from './exchange-dead-letters.js';
export { DEFAULT_MAX_ROWS_PER_PART, S3FileSink, type S3FileSinkOptions } from './file-sink.js';
export {
  type ForeachBatchS3,
  S3ForeachBatchSink,
  type S3ForeachBatchSinkOptions,
  s3Services,
} from './foreach-batch-sink.js';
export { decodeJsonLines, encodeJsonLines } from './jsonl-format.js';
export { decodeLateRows, encodeLateRows, type StoredLateRow } from './late-rows-format.js';
export {
  dataKey,
  deadLetterKey,
  escapePathName,
  lateRowsKey,
  manifestKey,
  padBatchId,
  progressKey,
  queryRoot,
  RESERVED_DIRS,
  S3_LAYOUT,
} from './layout.js';
export { type BatchManifest, type ManifestFile, type ManifestObject, parseManifest } from './manifest.js';
export {
  type BatchRange,
  type ReadBatch,
  type ReadRowsOptions,
  S3OutputReader,
  type S3OutputReaderOptions,
} from './output-reader.js';
export { decodeParquet, encodeParquet, PARQUET_ROW_GROUP_ROWS } from './parquet-format.js';
export { S3ProgressWriter } from './progress-writer.js';
export {
  DEFAULT_S3_CONCURRENCY,
  mapConcurrently,
  QueryObjects,
  type S3OutputLocation,
} from './s3-objects.js';
export {
  columnTypeOf,
  hiveTypeOf,
  inferredColumnTypes,
  type TableColumn,
  type TableColumns,
  tableColumns,
} from './table-columns.js';
export { keyColumnsOf, latestRowPerKey } from './upsert.js';
