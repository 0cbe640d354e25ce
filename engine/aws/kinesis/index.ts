// The Kinesis edge: decoding records into rows and dead letters, the engine's BatchSource over
// one shard, and reading batch ranges back from Kinesis for exact replays.
export {
  createRecordDecoder,
  type DecodedRecord,
  type EdgeSource,
  formatIssues,
  type PartitionKeySpec,
  type RecordDecoder,
  type RecordDecoderOptions,
  sourcesOf,
} from './decode-record.js';
export {
  DEFAULT_MAX_EVENT_TIME_AHEAD_MS,
  DEFAULT_MAX_NESTING_DEPTH,
  type EdgeLimits,
  eventTimeProblem,
  nestingProblem,
} from './edge-limits.js';
export { KinesisRangeMismatchError, KinesisRequestError, KinesisSourceConfigError } from './errors.js';
export { type EventTimeResult, parseEventTime } from './event-time-value.js';
export { createGapFetch, type FetchGap, type GapFetch, type GapFetchOptions } from './gap-fetch.js';
export { DEFAULT_MAX_GAP_RECORDS, fillGap, type GapFill, type InputGap } from './gap-fill.js';
export {
  HEARTBEAT_FORMAT_VERSION,
  HEARTBEAT_PARTITION_KEY,
  heartbeatRecordData,
  isHeartbeat,
} from './heartbeat.js';
export {
  KinesisBatchSource,
  type KinesisBatchSourceOptions,
  type RecordRange,
  type RefetchRange,
} from './kinesis-batch-source.js';
export { MAX_RECORD_BYTES, type PayloadDecoder } from './payload.js';
export { createRefetch, DEFAULT_MAX_PAGES, type RefetchOptions, streamNameOf } from './refetch.js';
export {
  compareSequenceNumbers,
  inRange,
  isAfter,
  isSequenceNumber,
  maxSequenceNumber,
  type SequenceNumber,
  sortBySequenceNumber,
} from './sequence-numbers.js';
export {
  committedSequenceNumber,
  KINESIS_OFFSETS_KEY,
  readShardOffset,
  type ShardOffset,
  shardOffsets,
} from './shard-offsets.js';
export {
  type AnyKinesisRecord,
  fromGetRecords,
  fromLambdaRecord,
  type ShardRecord,
  shardIdOf,
  toShardRecord,
} from './shard-record.js';
