export { createBucket, planBuckets } from './buckets.js';
export {
  MissingFunctionMetadataError,
  ProvisionError,
  ResourceCreationError,
  TemplateSelectionError,
  UnresolvableValueError,
  UnsupportedPropertyError,
} from './errors.js';
export { localName } from './names.js';
export {
  DEFAULT_PROJECT_ROOT,
  LOCAL_ACCOUNT_ID,
  type ProvisionAppOptions,
  type Provisioned,
  type ProvisionTemplateOptions,
  provisionApp,
  provisionTemplate,
} from './provision.js';
export { type ResolveContext, resolveValue } from './resolve.js';
export { rateMs } from './schedules.js';
export { DEFAULT_ON_DEMAND_SHARD_COUNT } from './streams.js';
export { SKIP_BUNDLING_CONTEXT, type SynthesizedStack, synthesizeStack } from './synth.js';
export type { CfnResource, CfnTemplate } from './template.js';
export type {
  FunctionRole,
  LocalBucket,
  LocalEventSourceMapping,
  LocalFunction,
  LocalQuery,
  LocalResources,
  LocalSchedule,
  LocalStream,
  LocalTable,
  StartingPosition,
} from './types.js';
