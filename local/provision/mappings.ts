import { MissingFunctionMetadataError, UnsupportedPropertyError } from './errors.js';
import { type ResolveContext, resolveValue } from './resolve.js';
import {
  type CfnTemplate,
  literalProperty,
  RESOURCE_TYPES,
  referencedLogicalId,
  resourcesOfType,
} from './template.js';
import type { LocalEventSourceMapping, LocalFunction, LocalStream, StartingPosition } from './types.js';

/** CloudFormation's defaults for a Kinesis AWS::Lambda::EventSourceMapping. */
const DEFAULT_BATCH_SIZE = 100;
const UNLIMITED = -1;
const STARTING_POSITIONS: readonly string[] = ['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'];

/** Properties of a Kinesis mapping that change delivery in ways the local runner does not emulate. */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  TumblingWindowInSeconds:
    'remove it: sluice keeps its own windows and state, so tumbling-window state is not used.',
  FilterCriteria: 'remove it, or filter in the query: the local runner delivers every record.',
};

/**
 * The template's event source mappings on Kinesis streams of the template, read with
 * CloudFormation's defaults. Mappings on other sources are ignored.
 *
 * @throws {@link UnsupportedPropertyError} for a parallelization factor other than 1 (one
 *   invocation per shard is sluice's single-writer contract), a stream from outside the template,
 *   or a property the runner does not emulate
 * @throws {@link MissingFunctionMetadataError} when the target function has no `sluice:entry`
 */
export function readEventSourceMappings(
  template: CfnTemplate,
  context: ResolveContext,
  streams: Readonly<Record<string, LocalStream>>,
  functions: Readonly<Record<string, LocalFunction>>,
): LocalEventSourceMapping[] {
  const mappings: LocalEventSourceMapping[] = [];
  for (const [logicalId, resource] of resourcesOfType(template, RESOURCE_TYPES.eventSourceMapping)) {
    const properties = resource.Properties ?? {};
    const streamId = referencedLogicalId(properties.EventSourceArn);
    const stream = streamId === undefined ? undefined : streams[streamId];
    if (stream === undefined) {
      if (typeof properties.EventSourceArn === 'string' && properties.EventSourceArn.includes(':kinesis:'))
        throw new UnsupportedPropertyError(
          logicalId,
          'EventSourceArn',
          properties.EventSourceArn,
          'the stream must be created by the same stack so it can be provisioned locally.',
        );
      continue; // Not a Kinesis source of this template (SQS, DynamoDB Streams, ...).
    }
    const functionId = referencedLogicalId(properties.FunctionName);
    const target = functionId === undefined ? undefined : functions[functionId];
    if (target === undefined)
      throw new UnsupportedPropertyError(
        logicalId,
        'FunctionName',
        properties.FunctionName,
        'the function must be defined in the same stack (a Ref to its AWS::Lambda::Function).',
      );
    if (target.entry === undefined) throw new MissingFunctionMetadataError(target.logicalId, 'sluice:entry');
    const factor = literalProperty(logicalId, resource, 'ParallelizationFactor', 1);
    if (factor !== 1)
      throw new UnsupportedPropertyError(
        logicalId,
        'ParallelizationFactor',
        factor,
        'sluice needs one invocation per shard at a time (one writer per shard); set it to 1 and add shards to scale.',
      );
    for (const [name, fix] of Object.entries(UNSUPPORTED)) {
      if (properties[name] !== undefined)
        throw new UnsupportedPropertyError(logicalId, name, properties[name], fix);
    }
    const position = literalProperty(logicalId, resource, 'StartingPosition', 'TRIM_HORIZON');
    if (!STARTING_POSITIONS.includes(position))
      throw new UnsupportedPropertyError(
        logicalId,
        'StartingPosition',
        position,
        `use one of ${STARTING_POSITIONS.join(', ')}.`,
      );
    const timestamp = properties.StartingPositionTimestamp;
    const destination = (
      properties.DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined
    )?.OnFailure?.Destination;
    const responseTypes = properties.FunctionResponseTypes;
    const seconds = (name: string) => {
      const value = literalProperty(logicalId, resource, name, UNLIMITED);
      return value === UNLIMITED ? UNLIMITED : value * 1000;
    };
    mappings.push({
      logicalId,
      functionLogicalId: target.logicalId,
      streamLogicalId: stream.logicalId,
      streamName: stream.name,
      streamArn: stream.arn,
      batchSize: literalProperty(logicalId, resource, 'BatchSize', DEFAULT_BATCH_SIZE),
      maxBatchingWindowMs: literalProperty(logicalId, resource, 'MaximumBatchingWindowInSeconds', 0) * 1000,
      startingPosition: position as StartingPosition,
      startingPositionTimestampMs: typeof timestamp === 'number' ? timestamp * 1000 : undefined,
      maxRetryAttempts: literalProperty(logicalId, resource, 'MaximumRetryAttempts', UNLIMITED),
      maxRecordAgeMs: seconds('MaximumRecordAgeInSeconds'),
      bisectBatchOnFunctionError: literalProperty(logicalId, resource, 'BisectBatchOnFunctionError', false),
      reportBatchItemFailures:
        Array.isArray(responseTypes) && responseTypes.includes('ReportBatchItemFailures'),
      onFailureDestination:
        destination === undefined
          ? undefined
          : resolveValue(destination, `${logicalId}.DestinationConfig.OnFailure.Destination`, context),
      enabled: literalProperty(logicalId, resource, 'Enabled', true),
    });
  }
  return mappings;
}
