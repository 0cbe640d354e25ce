export { type BatchOutcome, classifyResponse } from './batch-response.js';
export {
  CaughtUpTimeoutError,
  LocalRunnerError,
  RunnerStateError,
  ShardReadError,
  UnknownFunctionError,
} from './errors.js';
export { MappingRunner, type ShardStatus } from './event-source-mapping.js';
export { type FailedBatch, FailureDestinations, type KinesisFailureRecord } from './failure-destination.js';
export { functionEnvironment } from './function-environment.js';
export { FunctionPool, type FunctionStats, type InvokeResult } from './function-pool.js';
export { lambdaEvent, lambdaRecord, MAX_PAYLOAD_BYTES } from './lambda-event.js';
export {
  createLocalRunner,
  DEFAULT_DISCOVERY_INTERVAL_MS,
  DEFAULT_INIT_TIMEOUT_MS,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_RETRY_BACKOFF,
  type FunctionLogLine,
  type LocalRunner,
  type LocalRunnerOptions,
  type RunnerStats,
} from './runner.js';
export { ScheduleRunner } from './schedule.js';
export { type BatchSettings, type Discarded, type PendingRecord, ShardBatches } from './shard-batches.js';
export { type ReadPage, type ReadStart, ShardReader } from './shard-reader.js';
