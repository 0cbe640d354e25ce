import type { Duration } from 'aws-cdk-lib';
import { StreamMode } from 'aws-cdk-lib/aws-kinesis';
import {
  DEFAULT_TIMEOUT,
  MAX_QUERY_NAME_LENGTH,
  PREFIX_PATTERN,
  QUERY_NAME_PATTERN,
  REQUIRED_PARALLELIZATION_FACTOR,
} from './defaults.js';
import { StreamingQueryPropsError } from './errors.js';
import type { StreamingQueryProps } from './props.js';

const GLUE_NAME_PATTERN = /^[a-z0-9_]{1,255}$/;

/**
 * Refuses, at synth time, every prop combination that would deploy something unsafe or broken.
 * Runs before any resource is created, so a bad prop leaves nothing half-built.
 */
export function validateProps(props: StreamingQueryProps): void {
  const query = props.queryName;
  const fail = (prop: string, message: string): never => {
    throw new StreamingQueryPropsError(query, prop, message);
  };

  if (query.length === 0 || query.length > MAX_QUERY_NAME_LENGTH || !QUERY_NAME_PATTERN.test(query)) {
    fail(
      'queryName',
      `${JSON.stringify(query)} is not safe in S3 keys and DynamoDB keys (it keys the S3 prefix PREFIX/QUERY/ and the items S#QUERY#... and C#QUERY). Use letters, digits, '.', '_' and '-', starting with a letter or digit, at most ${MAX_QUERY_NAME_LENGTH} characters.`,
    );
  }

  const factor = props.parallelizationFactor;
  if (factor !== undefined && factor !== REQUIRED_PARALLELIZATION_FACTOR) {
    fail(
      'parallelizationFactor',
      `must be ${REQUIRED_PARALLELIZATION_FACTOR}, got ${factor}. sluice keeps one writer per shard: a shard's state, watermark and checkpoint are written by one invocation at a time, and records of a group must be processed in sequence order. A factor above 1 runs several invocations per shard concurrently, which would interleave batches and break exactly-once. Add shards (shardCount, or on-demand mode) to scale out instead.`,
    );
  }

  if (props.prefix !== undefined && !PREFIX_PATTERN.test(props.prefix)) {
    fail(
      'prefix',
      `${JSON.stringify(props.prefix)} is not a valid key prefix: use path segments of letters, digits, '.', '_' and '-' separated by single '/', with no leading or trailing '/'.`,
    );
  }

  if (props.stream !== undefined) {
    for (const prop of ['streamMode', 'shardCount', 'streamRetention'] as const) {
      if (props[prop] !== undefined)
        fail(prop, 'applies to a new stream only; remove it when passing `stream`.');
    }
  }
  if (props.shardCount !== undefined) {
    if (props.streamMode === StreamMode.ON_DEMAND)
      fail(
        'shardCount',
        'an on-demand stream scales its shards itself; remove shardCount or use provisioned mode.',
      );
    if (!Number.isInteger(props.shardCount) || props.shardCount < 1)
      fail('shardCount', `must be a whole number ≥ 1, got ${props.shardCount}.`);
  }

  if (props.bucket !== undefined) {
    for (const prop of ['versioned', 'serverAccessLogsBucket'] as const) {
      if (props[prop] !== undefined)
        fail(prop, 'applies to a new bucket only; configure the bucket you pass instead.');
    }
  }

  wholeUnits(props.deadLetterExpiration, 'deadLetterExpiration', 'days', fail);
  wholeUnits(props.progressExpiration, 'progressExpiration', 'days', fail);
  wholeUnits(props.heartbeatRate, 'heartbeatRate', 'minutes', fail);

  const reserve = props.commitReserve;
  if (reserve !== undefined) {
    const timeout = props.timeout ?? DEFAULT_TIMEOUT;
    if (reserve.toMilliseconds() < 1000)
      fail('commitReserve', 'keep at least 1 second to commit before Lambda times out.');
    if (reserve.toMilliseconds() >= timeout.toMilliseconds())
      fail(
        'commitReserve',
        `must be shorter than timeout (${timeout.toHumanString()}) to leave time for batches.`,
      );
  }

  const glue = props.glue;
  if (glue !== undefined) {
    if (!GLUE_NAME_PATTERN.test(glue.database))
      fail('glue.database', `${JSON.stringify(glue.database)}: use lowercase letters, digits and '_'.`);
    if (glue.tableName !== undefined && !GLUE_NAME_PATTERN.test(glue.tableName))
      fail('glue.tableName', `${JSON.stringify(glue.tableName)}: use lowercase letters, digits and '_'.`);
    if (glue.columns.length === 0) fail('glue.columns', 'list at least one column of the output rows.');
  }
}

function wholeUnits(
  duration: Duration | undefined,
  prop: string,
  unit: 'days' | 'minutes',
  fail: (prop: string, message: string) => never,
): void {
  if (duration === undefined) return;
  const amount =
    unit === 'days' ? duration.toDays({ integral: false }) : duration.toMinutes({ integral: false });
  if (!Number.isInteger(amount) || amount < 1) fail(prop, `must be a whole number of ${unit} ≥ 1.`);
}
