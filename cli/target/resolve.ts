import { S3Client } from '@aws-sdk/client-s3';
import { createAwsClients } from '../../engine/aws/clients.js';
import {
  InvalidOptionError,
  LocalStackNotRunningError,
  MissingSettingError,
  UnknownQueryError,
} from '../errors.js';
import { isProcessAlive, type LocalState, localStateFile, readLocalState } from './local-state.js';
import type { TargetFlags } from './options.js';
import type { QueryLocation, Target } from './target.js';

/** The S3 key prefix the StreamingQuery construct uses unless told otherwise. */
export const DEFAULT_PREFIX = 'sluice';

/**
 * Picks the target: `--local` → the local stack; `--aws` → AWS; neither → the local stack when
 * `.sluice/local.json` exists, AWS otherwise. A state file whose process is gone is an error
 * that says to run `sluice local up` (or delete the file).
 */
export async function resolveTarget(
  flags: TargetFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Target> {
  const path = localStateFile(env);
  if (flags.aws === true) return awsTarget(flags, env);
  const state = await readLocalState(path);
  if (state === undefined) {
    if (flags.local === true) throw new LocalStackNotRunningError(path, `no ${path}`);
    return awsTarget(flags, env);
  }
  if (!isProcessAlive(state.pid)) {
    throw new LocalStackNotRunningError(path, `${path} is stale: process ${state.pid} is gone`);
  }
  return localTarget(state);
}

/** The target of a running local stack. */
export function localTarget(state: LocalState): Target {
  const clients = createAwsClients({
    region: state.region,
    credentials: state.credentials,
    endpoints: state.endpoints,
  });
  const queries: QueryLocation[] = state.queries.map((query) => ({
    name: query.name,
    table: query.table,
    bucket: query.bucket,
    prefix: query.prefix,
    stream: query.stream,
    sources: query.sources,
    ...(query.partitionKey === undefined ? {} : { partitionKey: query.partitionKey }),
    ...(query.keyColumns === undefined ? {} : { keyColumns: query.keyColumns }),
    ...(query.exchangeStream === undefined ? {} : { exchangeStream: query.exchangeStream }),
  }));
  // A backfill reads and writes where the query it replays does, under its own name. It is not
  // a known (running) query: `status --wait` and the live views leave it out; commands naming it work.
  const backfills: QueryLocation[] = state.backfills.flatMap((backfill) => {
    const of = queries.find((query) => query.name === backfill.of);
    return of === undefined ? [] : [{ ...of, name: backfill.name }];
  });
  return {
    mode: 'local',
    where: 'on the local stack',
    region: state.region,
    clients,
    endpoints: state.endpoints,
    knownQueries: queries,
    startHint: 'start the local stack with `sluice local up`',
    query(name) {
      const found = [...queries, ...backfills].find((query) => query.name === name);
      if (found === undefined) {
        throw new UnknownQueryError(
          name,
          queries.map((query) => query.name),
          'on the local stack',
        );
      }
      return found;
    },
    close: () => destroy(clients),
  };
}

async function awsTarget(flags: TargetFlags, env: NodeJS.ProcessEnv): Promise<Target> {
  if (flags.profile !== undefined) env.AWS_PROFILE = flags.profile; // the SDK's default chain reads it
  const endpoint = flags.endpointUrl;
  if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint)) {
    throw new InvalidOptionError(
      '--endpoint-url',
      endpoint,
      'use an http(s) URL such as http://localhost:4566',
    );
  }
  const region = flags.region ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? (await regionFromProfile());
  if (region === undefined) throw new MissingSettingError('AWS region', '--region', 'AWS_REGION');
  const clients = createAwsClients({ region, ...(endpoint === undefined ? {} : { endpoint }) });
  const prefix = flags.prefix ?? DEFAULT_PREFIX;
  const where = endpoint === undefined ? `in AWS ${region}` : `at ${endpoint}`;
  const build = (name: string): QueryLocation => ({
    name,
    prefix,
    sources: [],
    ...(flags.table === undefined ? {} : { table: flags.table }),
    ...(flags.bucket === undefined ? {} : { bucket: flags.bucket }),
    ...(flags.stream === undefined ? {} : { stream: flags.stream }),
  });
  return {
    mode: 'aws',
    where,
    region,
    clients,
    ...(endpoint === undefined ? {} : { endpoints: { kinesis: endpoint, dynamodb: endpoint, s3: endpoint } }),
    knownQueries: [],
    startHint:
      endpoint === undefined
        ? 'check your network and AWS_REGION'
        : 'start the service there, or unset AWS_ENDPOINT_URL / --endpoint-url',
    query: build,
    close: () => destroy(clients),
  };
}

/** The region the SDK would pick from the shared config (`AWS_PROFILE`), if any. */
async function regionFromProfile(): Promise<string | undefined> {
  const probe = new S3Client({});
  try {
    return await probe.config.region();
  } catch {
    return undefined;
  } finally {
    probe.destroy();
  }
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function destroy(clients: Target['clients']): void {
  clients.dynamodb.destroy();
  clients.s3.destroy();
  clients.kinesis.destroy();
}

/** The query's bucket, or a one-line error saying how to give it. */
export function requireBucket(query: QueryLocation): string {
  if (query.bucket === undefined) throw new MissingSettingError('output bucket', '--bucket', 'SLUICE_BUCKET');
  return query.bucket;
}

/** The query's table, or a one-line error saying how to give it. */
export function requireTable(query: QueryLocation): string {
  if (query.table === undefined) throw new MissingSettingError('state table', '--table', 'SLUICE_TABLE');
  return query.table;
}
