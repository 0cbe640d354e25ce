import { fileURLToPath } from 'node:url';
import type { App, Stack } from 'aws-cdk-lib';
import { ENVIRONMENT_VARIABLES } from '../../functions/config.js';
import type { EmulatorClients } from '../emulators/index.js';
import { createBucket, planBuckets } from './buckets.js';
import { readFunctions } from './functions.js';
import { readEventSourceMappings } from './mappings.js';
import { localName, type NameKind } from './names.js';
import type { LocalResourceValues, ResolveContext } from './resolve.js';
import { readSchedules } from './schedules.js';
import { createStream, DEFAULT_ON_DEMAND_SHARD_COUNT, planStreams } from './streams.js';
import { synthesizeStack } from './synth.js';
import { createTable, planTables } from './tables.js';
import { type CfnTemplate, RESOURCE_TYPES } from './template.js';
import type { LocalBucket, LocalQuery, LocalResources, LocalStream, LocalTable } from './types.js';

/** The account id local ARNs use (the emulators' own). */
export const LOCAL_ACCOUNT_ID = '000000000000';

/** This repository's root: where `sluice:entry` paths are relative to by default. */
export const DEFAULT_PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Options of {@link provisionTemplate}. */
export interface ProvisionTemplateOptions {
  readonly template: CfnTemplate;
  readonly stackName: string;
  /** Where to create the resources. */
  readonly emulators: { readonly clients: EmulatorClients; readonly region: string };
  /** Root that relative `sluice:entry` paths resolve against. @default {@link DEFAULT_PROJECT_ROOT} */
  readonly projectRoot?: string;
  /** Shards of an on-demand stream. @default {@link DEFAULT_ON_DEMAND_SHARD_COUNT} (4) */
  readonly onDemandShardCount?: number;
  /** @default {@link LOCAL_ACCOUNT_ID} */
  readonly accountId?: string;
  /** Appended to generated names, to provision the same stack twice on one endpoint. @default none */
  readonly nameSuffix?: string;
}

/** Provisioned resources and how long it took. */
export interface Provisioned extends LocalResources {
  /** Milliseconds to synthesize (0 for a given template). */
  readonly synthMs: number;
  /** Milliseconds to create the streams, tables and buckets. */
  readonly provisionMs: number;
}

/** Names of the resources the runner references but that have no emulator (roles, queues, log groups). */
const NAMED_ONLY: Readonly<Record<string, NameKind>> = {
  [RESOURCE_TYPES.function]: 'function',
  [RESOURCE_TYPES.role]: 'other',
  [RESOURCE_TYPES.queue]: 'other',
  [RESOURCE_TYPES.logGroup]: 'other',
};

/**
 * Creates a template's Kinesis streams, DynamoDB tables and S3 buckets on the emulators (in
 * parallel), then reads its functions (environment resolved to the local names), Kinesis event
 * source mappings and schedules: everything the local runner needs, from the template alone.
 *
 * ```
 * plan names: Name/TableName/BucketName, else STACK-LOGICALID[-suffix]
 * create streams (on-demand → fixed shard count), tables (keys, attributes, LSIs/GSIs), buckets
 * resolve Ref / Fn::GetAtt / Fn::Join / Fn::Sub in function environments to those names and ARNs
 * read event source mappings and rate() schedules; check they are runnable locally
 * ```
 */
export async function provisionTemplate(options: ProvisionTemplateOptions): Promise<Provisioned> {
  const started = performance.now();
  const { template, stackName } = options;
  const region = options.emulators.region;
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  const naming = { stackName, ...(options.nameSuffix === undefined ? {} : { suffix: options.nameSuffix }) };
  const clients = options.emulators.clients;

  const [streams, tables, buckets] = await Promise.all([
    Promise.all(
      planStreams(template, naming, options.onDemandShardCount ?? DEFAULT_ON_DEMAND_SHARD_COUNT).map((plan) =>
        createStream(clients.kinesis, plan),
      ),
    ),
    Promise.all(planTables(template, naming).map((plan) => createTable(clients.dynamodb, plan))),
    Promise.all(planBuckets(template, naming).map((plan) => createBucket(clients.s3, plan))),
  ]);
  const provisionMs = performance.now() - started;

  const context: ResolveContext = {
    stackName,
    region,
    accountId,
    resources: resourceValues(template, { streams, tables, buckets, naming, region, accountId }),
  };
  const functions = readFunctions(template, context, options.projectRoot ?? DEFAULT_PROJECT_ROOT);
  const byId = <T extends { logicalId: string }>(list: T[]) =>
    Object.fromEntries(list.map((item) => [item.logicalId, item])) as Record<string, T>;
  const streamsById = byId(streams);
  const eventSourceMappings = readEventSourceMappings(template, context, streamsById, functions);
  const schedules = readSchedules(template, functions);

  const queries: Record<string, LocalQuery> = {};
  const stageTwo = new Map<string, { stream: string; stageTwoFunction: string }>();
  for (const mapping of eventSourceMappings) {
    const fn = functions[mapping.functionLogicalId]!;
    if (fn.role !== 'query' || fn.query === undefined) continue;
    // Stage 2 of a two-stage query reads the internal stream its environment names.
    if (fn.environment[ENVIRONMENT_VARIABLES.exchangeStream] === mapping.streamName) {
      stageTwo.set(fn.query, { stream: mapping.streamName, stageTwoFunction: fn.logicalId });
      continue;
    }
    // A two-stage query's heartbeat belongs to its stage 1 (it watches the source stream's shards).
    const heartbeat = Object.values(functions).find(
      (f) => f.role === 'heartbeat' && (f.query === fn.query || f.query === `${fn.query}.stage-1`),
    );
    // A query reading several streams (a join through the exchange): one mapping per stream; the
    // first is its `stream`, all of them its `sourceStreams`.
    const seen = queries[fn.query];
    if (seen !== undefined && seen.queryFunction === fn.logicalId) {
      queries[fn.query] = {
        ...seen,
        sourceStreams: [...(seen.sourceStreams ?? [seen.stream]), mapping.streamName],
      };
      continue;
    }
    queries[fn.query] = {
      query: fn.query,
      stream: mapping.streamName,
      streamArn: mapping.streamArn,
      shardCount: streamsById[mapping.streamLogicalId]!.shardCount,
      table: fn.environment[ENVIRONMENT_VARIABLES.table] ?? '',
      bucket: fn.environment[ENVIRONMENT_VARIABLES.bucket] ?? '',
      prefix: fn.environment[ENVIRONMENT_VARIABLES.prefix] ?? 'sluice',
      queryFunction: fn.logicalId,
      heartbeatFunction: heartbeat?.logicalId,
    };
  }
  for (const [query, exchange] of stageTwo) {
    const found = queries[query];
    if (found !== undefined) queries[query] = { ...found, exchange };
  }
  return {
    stackName,
    region,
    accountId,
    streams: streamsById,
    tables: byId(tables),
    buckets: byId(buckets),
    functions,
    eventSourceMappings,
    schedules,
    queries,
    synthMs: 0,
    provisionMs,
  };
}

/** Options of {@link provisionApp}: {@link ProvisionTemplateOptions} with an app instead of a template. */
export interface ProvisionAppOptions extends Omit<ProvisionTemplateOptions, 'template' | 'stackName'> {
  /** Builds the stack to run in the given App (bundling is skipped); return it when the app has several. */
  readonly app: (app: App) => Stack | undefined;
}

/**
 * Synthesizes the app in-process without bundling ({@link synthesizeStack}) and provisions its
 * template ({@link provisionTemplate}).
 *
 * @example
 * const resources = await provisionApp({ app: (app) => new ExampleQueriesStack(app, 'SluiceExamples'), emulators });
 * resources.queries['page-views'].stream; // the local stream name to put records into
 */
export async function provisionApp(options: ProvisionAppOptions): Promise<Provisioned> {
  const synthesized = await synthesizeStack(options.app);
  const provisioned = await provisionTemplate({
    ...options,
    template: synthesized.template,
    stackName: synthesized.stackName,
  });
  return { ...provisioned, synthMs: synthesized.synthMs };
}

/** What every `Ref` / `Fn::GetAtt` of the template resolves to locally. */
function resourceValues(
  template: CfnTemplate,
  created: {
    readonly streams: readonly LocalStream[];
    readonly tables: readonly LocalTable[];
    readonly buckets: readonly LocalBucket[];
    readonly naming: { readonly stackName: string; readonly suffix?: string };
    readonly region: string;
    readonly accountId: string;
  },
): Map<string, LocalResourceValues> {
  const { region, accountId } = created;
  const values = new Map<string, LocalResourceValues>();
  for (const stream of created.streams)
    values.set(stream.logicalId, { ref: stream.name, attributes: { Arn: stream.arn } });
  for (const table of created.tables)
    values.set(table.logicalId, { ref: table.name, attributes: { Arn: table.arn } });
  for (const bucket of created.buckets) {
    values.set(bucket.logicalId, {
      ref: bucket.name,
      attributes: {
        Arn: bucket.arn,
        DomainName: `${bucket.name}.s3.amazonaws.com`,
        RegionalDomainName: `${bucket.name}.s3.${region}.amazonaws.com`,
      },
    });
  }
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const kind = NAMED_ONLY[resource.Type];
    if (kind === undefined || values.has(logicalId)) continue;
    const literalName = ['FunctionName', 'RoleName', 'QueueName', 'LogGroupName']
      .map((property) => resource.Properties?.[property])
      .find((value): value is string => typeof value === 'string');
    const name = literalName ?? localName(kind, created.naming.stackName, logicalId, created.naming.suffix);
    values.set(logicalId, namedValues(resource.Type, name, region, accountId));
  }
  return values;
}

function namedValues(type: string, name: string, region: string, accountId: string): LocalResourceValues {
  switch (type) {
    case RESOURCE_TYPES.function:
      return { ref: name, attributes: { Arn: `arn:aws:lambda:${region}:${accountId}:function:${name}` } };
    case RESOURCE_TYPES.role:
      return { ref: name, attributes: { Arn: `arn:aws:iam::${accountId}:role/${name}`, RoleId: name } };
    case RESOURCE_TYPES.queue:
      return {
        ref: `https://sqs.${region}.amazonaws.com/${accountId}/${name}`,
        attributes: { Arn: `arn:aws:sqs:${region}:${accountId}:${name}`, QueueName: name },
      };
    default:
      return { ref: name, attributes: { Arn: `arn:aws:logs:${region}:${accountId}:log-group:${name}:*` } };
  }
}
