import { Duration } from 'aws-cdk-lib';
import { StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { planStages, stageOnes } from '../../engine/plan/exchange/plan-stages.js';
import { DEFAULT_RESERVE_MS, ENVIRONMENT_VARIABLES } from '../../functions/config.js';
import {
  DEFAULT_TIMEOUT,
  MAX_QUERY_NAME_LENGTH,
  PREFIX_PATTERN,
  QUERY_NAME_PATTERN,
  REQUIRED_PARALLELIZATION_FACTOR,
} from './defaults.js';
import { StreamingQueryPropsError } from './errors.js';
import type { StreamingQueryProps } from './props.js';

/** Time a function must have for batches beyond the commit reserve (one small batch and its commit). */
const MIN_WORKING_MS = 5_000;

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

  if (props.query !== undefined && props.query.name !== query)
    fail(
      'query',
      `is named ${JSON.stringify(props.query.name)}, but queryName is ${JSON.stringify(query)}: both name the checkpoints, state and S3 prefix, so they must agree.`,
    );
  if (props.exchangeShardCount !== undefined) {
    if (!Number.isInteger(props.exchangeShardCount) || props.exchangeShardCount < 1)
      fail('exchangeShardCount', `must be a whole number ≥ 1, got ${props.exchangeShardCount}.`);
    if (props.query === undefined)
      fail('exchangeShardCount', 'applies to a two-stage query: pass `query` so the construct can plan it.');
  }

  if (props.exchangeStreamMode !== undefined && props.query === undefined)
    fail('exchangeStreamMode', 'applies to a two-stage query: pass `query` so the construct can plan it.');
  if (props.exchangeStreamMode === StreamMode.ON_DEMAND && props.exchangeShardCount !== undefined)
    fail(
      'exchangeShardCount',
      'does not apply to an on-demand internal stream (exchangeStreamMode ON_DEMAND): Kinesis sizes it. Drop one of the two.',
    );

  if (props.sourceStreams !== undefined) validateSourceStreams(props, fail);

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

  const fraction = props.stateMemoryFraction;
  if (fraction !== undefined && !(fraction > 0 && fraction <= 0.9)) {
    fail(
      'stateMemoryFraction',
      `must be above 0 and at most 0.9 (a share of the function's memory), got ${fraction}. Keep at least 10% of the memory for the batch itself and for writing snapshots; give the function more memory (memorySize) or add shards for more state.`,
    );
  }

  wholeUnits(props.deadLetterExpiration, 'deadLetterExpiration', 'days', fail);
  wholeUnits(props.lateRowsExpiration, 'lateRowsExpiration', 'days', fail);
  wholeUnits(props.progressExpiration, 'progressExpiration', 'days', fail);
  wholeUnits(props.heartbeatRate, 'heartbeatRate', 'minutes', fail);

  validateTiming(props, fail);

  const glue = props.glue;
  if (glue !== undefined) {
    if (!GLUE_NAME_PATTERN.test(glue.database))
      fail('glue.database', `${JSON.stringify(glue.database)}: use lowercase letters, digits and '_'.`);
    if (glue.tableName !== undefined && !GLUE_NAME_PATTERN.test(glue.tableName))
      fail('glue.tableName', `${JSON.stringify(glue.tableName)}: use lowercase letters, digits and '_'.`);
    if (glue.columns !== undefined && glue.columns.length === 0)
      fail(
        'glue.columns',
        'list at least one column of the output rows, or leave it out to infer them from `query`.',
      );
  }
}

/** Environment variables the construct derives from props; setting them in `environment` too is ambiguous. */
const PROP_VARIABLES: ReadonlyArray<readonly [string, string]> = [
  [ENVIRONMENT_VARIABLES.reserveMs, 'commitReserve'],
  [ENVIRONMENT_VARIABLES.maxRecordsPerBatch, 'maxRecordsPerBatch'],
  [ENVIRONMENT_VARIABLES.state, 'state'],
  [ENVIRONMENT_VARIABLES.lateRows, 'lateRows'],
  [ENVIRONMENT_VARIABLES.gapCheck, 'gapCheck'],
  [ENVIRONMENT_VARIABLES.table, 'table'],
  [ENVIRONMENT_VARIABLES.bucket, 'bucket'],
  [ENVIRONMENT_VARIABLES.prefix, 'prefix'],
];

/**
 * The handler stops starting batches when less than the commit reserve remains, so a timeout at
 * or below the reserve (the function's 10 s default included, when `commitReserve` is unset)
 * deploys a function that returns at once on every invocation and never processes a record.
 */
function validateTiming(props: StreamingQueryProps, fail: (prop: string, message: string) => never): void {
  for (const [variable, prop] of PROP_VARIABLES) {
    if (props.environment?.[variable] !== undefined)
      fail(
        'environment',
        `sets ${variable}, which the construct derives from \`${prop}\`; set \`${prop}\` instead.`,
      );
  }
  const timeout = props.timeout ?? DEFAULT_TIMEOUT;
  const reserve = props.commitReserve ?? Duration.millis(DEFAULT_RESERVE_MS);
  if (props.commitReserve !== undefined && reserve.toMilliseconds() < 1000)
    fail('commitReserve', 'keep at least 1 second to commit before Lambda times out.');
  const working = timeout.toMilliseconds() - reserve.toMilliseconds();
  if (working < MIN_WORKING_MS) {
    const which = props.commitReserve === undefined ? 'the default commit reserve' : 'commitReserve';
    const fix =
      props.commitReserve === undefined
        ? `raise timeout to at least ${Duration.millis(reserve.toMilliseconds() + MIN_WORKING_MS).toHumanString()}, or set a smaller commitReserve (≥ 1 second)`
        : 'raise timeout or lower commitReserve';
    fail(
      props.commitReserve === undefined ? 'timeout' : 'commitReserve',
      `timeout (${timeout.toHumanString()}) leaves ${Math.max(0, working / 1000)} s after ${which} (${reserve.toHumanString()}); the handler starts no batch with less than the reserve left, so every invocation would process nothing. Keep at least ${MIN_WORKING_MS / 1000} s for batches: ${fix}.`,
    );
  }
  const max = props.maxRecordsPerBatch;
  if (max !== undefined && (!Number.isInteger(max) || max < 1))
    fail(
      'maxRecordsPerBatch',
      `must be a whole number ≥ 1, got ${max}; leave it out for one batch per invocation.`,
    );
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

/** `sourceStreams` must name every source of a query that reads them through the exchange. */
function validateSourceStreams(
  props: StreamingQueryProps,
  fail: (prop: string, message: string) => never,
): void {
  if (props.query === undefined) {
    fail('sourceStreams', 'needs `query`, so the construct can plan a stage 1 per source stream.');
  }
  if (props.stream !== undefined) {
    fail(
      'sourceStreams',
      "replaces `stream`: name every source's stream in sourceStreams and leave `stream` unset.",
    );
  }
  const staged = planStages(props.query!);
  const sources = [...new Set(stageOnes(staged).flatMap((stage) => stage.sources ?? []))];
  const named = Object.keys(props.sourceStreams!);
  if (sources.length < 2) {
    fail(
      'sourceStreams',
      `applies to a query whose sources go through the exchange (a join or union of several streams); this one ${staged.exchanges.length === 0 ? 'runs in one stage' : 'has one stage 1'}: pass its stream as \`stream\`, or, when its sources are on different streams, declare each one's with readStream(name, { stream }) so the planner routes them through the exchange.`,
    );
  }
  const unknown = named.filter((name) => !sources.includes(name));
  const missing = sources.filter((name) => !named.includes(name));
  if (unknown.length > 0 || missing.length > 0) {
    fail(
      'sourceStreams',
      `must name exactly the query's sources (${sources.join(', ')})${missing.length > 0 ? `; missing ${missing.join(', ')}` : ''}${unknown.length > 0 ? `; not sources of the query: ${unknown.join(', ')}` : ''}.`,
    );
  }
}
