// `sluice backfill`: Trigger.AvailableNow for a deployed query, through its own Lambda handler.
export {
  type BackfillInput,
  type BackfillOptions,
  type BackfillResult,
  type BackfillShardResult,
  runBackfill,
  S3_INPUT_SHARD,
} from './backfill.js';
export { BackfillFailedError, BackfillInputError } from './errors.js';
export { lambdaEvent } from './lambda-event.js';
export { readS3Input, s3InputPosition } from './s3-input.js';
export { readShardRange } from './shard-range.js';
