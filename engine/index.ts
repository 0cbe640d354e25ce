// The engine's public surface. It imports nothing from AWS: the same query runs in unit tests,
// in the local runner and in Lambda.

export { Column, type ColumnLike, col, expr, lit, SortColumn, type SortItem } from './api/column.js';
export {
  DataStream,
  GroupedStream,
  type GroupsWithStateOptions,
  type JoinOptions,
  KeyedStream,
  type ReadStreamOptions,
  readStream,
  type StaticDataset,
  staticRows,
} from './api/data-stream.js';
export { F } from './api/functions.js';
export { sql } from './api/sql.js';
export { sessionWindow, window } from './api/windows.js';
export {
  DataStreamWriter,
  DEFAULT_SHARD_WATERMARK,
  type QueryDefinition,
  type ShardWatermarkPolicy,
  type WatermarkPolicy,
} from './api/writer.js';
export type {
  Checkpoint,
  CheckpointStore,
  CommittedBatch,
  Offsets,
  PartitionWatermark,
  PlannedBatch,
  WatermarkState,
} from './checkpoint/checkpoint-store.js';
export {
  MemoryCheckpointStore,
  type MemoryCheckpointStoreOptions,
  MemoryCheckpointTable,
} from './checkpoint/memory-checkpoint-store.js';
export {
  CheckpointConflictError,
  IncompatiblePlanError,
  InvalidDurationError,
  InvalidQueryError,
  SluiceError,
  StateStoreMisuseError,
  StateTooLargeError,
  UserFunctionError,
} from './errors.js';
export {
  type ExchangeOffset,
  ExchangeReader,
  type ExchangeRecord,
  type ExchangeTransport,
  ExchangeWriter,
  MemoryExchange,
} from './exchange/index.js';
export {
  type AggregateFunction,
  approxCountDistinct,
  avg,
  collectList,
  count,
  max,
  min,
  sum,
} from './operators/aggregate/functions.js';
export { type GroupState, GroupStateTimeout } from './operators/groups-with-state/types.js';
export { checkQuery } from './plan/checker.js';
export { explain } from './plan/exchange/explain.js';
export { type ExchangeSpec, planStages, type Stage, type StagedQuery } from './plan/exchange/plan-stages.js';
export { ExpressionError, type TextPosition } from './plan/expressions/errors.js';
export type { Expression, NamedExpression } from './plan/expressions/expression.js';
export { describePlan } from './plan/fingerprint.js';
export type { GroupingKey, JoinType, PlanNode } from './plan/nodes.js';
export {
  type DataType,
  type DeclaredColumns,
  describeSchema,
  type Field,
  inferSchema,
  type OutputSchema,
  type Schema,
  SchemaInferenceError,
  typeName,
  WINDOW_TYPE,
} from './plan/schema/index.js';
export {
  type BatchOutcome,
  type BatchPhase,
  type BatchRunnerDeps,
  type PhaseHook,
  runPlannedBatch,
  stateNamespace,
} from './runtime/batch-runner.js';
export { compileQuery, type PhysicalPlan } from './runtime/compile.js';
export type { BatchInput, DeadLetter } from './runtime/dead-letter.js';
export type { RejectedRow } from './runtime/operator.js';
export type { PhaseDurations, QueryProgress, StateOperatorProgress } from './runtime/progress.js';
export { type QueryWatermarkInput, queryWatermark } from './runtime/query-watermark.js';
export {
  type BatchSource,
  StreamExecution,
  type StreamExecutionOptions,
} from './runtime/stream-execution.js';
export { advanceWatermark, INITIAL_WATERMARK } from './runtime/watermark-tracker.js';
export { ConsoleSink } from './sinks/console-sink.js';
export { MemorySink } from './sinks/memory-sink.js';
export type {
  ForeachBatchContext,
  ForeachBatchFunction,
  Sink,
  SinkBatchContext,
  SinkSpec,
} from './sinks/sink.js';
export { defaultViews, TempViews } from './sql/catalog.js';
export { MemoryStateStore, type MemoryStateStoreOptions } from './state/memory-state-store.js';
export type { StateEntry, StateStore, StateWrite } from './state/state-store.js';
export { StateView } from './state/state-view.js';
export { type Clock, ManualClock, systemClock } from './time/clock.js';
export { parseDuration } from './time/duration.js';
export type { BatchId, Duration, OutputMode, Row, TimestampMs, TimeWindow } from './types.js';
