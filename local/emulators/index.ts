import { assembleEmulators, stopAll, waitForServices } from './assemble.js';
import { type DynaliteSettings, startDynalite } from './dynamodb.js';
import { InvalidEndpointUrlError } from './errors.js';
import { type KinesaliteSettings, startKinesalite, startKinesisLocal } from './kinesis.js';
import { startLocalStack } from './localstack.js';
import { S3RVER_CREDENTIALS, startS3rver } from './s3.js';
import type {
  Backend,
  EmulatorCredentials,
  EmulatorName,
  Emulators,
  KinesisEngine,
  LaunchOptions,
  RunningEmulator,
} from './types.js';

export { type ClientSettings, createClients, destroyClients } from './clients.js';
export { DYNALITE_DEFAULTS, type DynaliteSettings, startDynalite } from './dynamodb.js';
export {
  ContainerRuntimeUnavailableError,
  EmulatorError,
  EmulatorExitedError,
  EmulatorStartTimeoutError,
  EmulatorStopError,
  InvalidEndpointUrlError,
} from './errors.js';
export {
  KINESALITE_DEFAULTS,
  KINESIS_LOCAL_DEFAULT_ENV,
  type KinesaliteSettings,
  startKinesalite,
  startKinesisLocal,
} from './kinesis.js';
export {
  type ContainerRuntimeProbe,
  LOCALSTACK_IMAGE,
  LOCALSTACK_START_TIMEOUT_MS,
  type LocalStackOptions,
  type LocalStackStart,
  probeContainerRuntime,
  startLocalStack,
} from './localstack.js';
export { freePorts, isPortFree, LOOPBACK } from './ports.js';
export { S3RVER_CREDENTIALS, startS3rver } from './s3.js';
export type {
  Backend,
  EmulatorClients,
  EmulatorCredentials,
  EmulatorName,
  Emulators,
  KinesisEngine,
  RunningEmulator,
  ServiceName,
} from './types.js';

/** Region the clients sign for unless told otherwise. */
export const DEFAULT_REGION = 'us-east-1';

/** Start-up budget per emulator (they start in well under a second; CI machines can be slow). */
export const DEFAULT_START_TIMEOUT_MS = 30_000;

/** Options of {@link startEmulators}; every field is optional. */
export interface StartEmulatorsOptions {
  /**
   * Where the services come from. `auto` uses `endpoint` when an endpoint URL is given (or
   * `AWS_ENDPOINT_URL` is set) and the in-process `emulators` otherwise. LocalStack is never
   * picked automatically (it needs Docker and an image pull): ask for it, or use
   * {@link startLocalStack} to get a skippable result.
   * @default 'auto'
   */
  readonly backend?: Backend | 'auto';
  /** Kinesis implementation for the `emulators` backend. @default 'kinesalite' */
  readonly kinesis?: KinesisEngine;
  /** @default {@link DEFAULT_REGION} */
  readonly region?: string;
  /** Per-emulator start-up budget. @default {@link DEFAULT_START_TIMEOUT_MS} (LocalStack: its own) */
  readonly startTimeoutMs?: number;
  /** Endpoint for every service with the `endpoint` backend. @default process.env.AWS_ENDPOINT_URL */
  readonly endpointUrl?: string;
  /**
   * Credentials for the `endpoint` and `localstack` backends; the `emulators` backend always
   * uses {@link S3RVER_CREDENTIALS} (s3rver checks signatures, the others accept anything).
   * @default {@link S3RVER_CREDENTIALS}
   */
  readonly credentials?: EmulatorCredentials;
  /** kinesalite settings. @default {@link KINESALITE_DEFAULTS} */
  readonly kinesalite?: KinesaliteSettings;
  /** Extra environment for kinesis-local. @default {@link KINESIS_LOCAL_DEFAULT_ENV} */
  readonly kinesisLocalEnv?: Readonly<Record<string, string>>;
  /** dynalite settings. @default {@link DYNALITE_DEFAULTS} */
  readonly dynalite?: DynaliteSettings;
  /** LocalStack image for the `localstack` backend. @default {@link LOCALSTACK_IMAGE} */
  readonly localstackImage?: string;
  /** `LOCALSTACK_AUTH_TOKEN` for the `localstack` backend. @default none */
  readonly localstackAuthToken?: string;
}

/**
 * Starts Kinesis, DynamoDB and S3 for tests and local runs, and returns configured SDK v3
 * clients, endpoints, region, credentials and `stop()`.
 *
 * By default it starts kinesalite, dynalite and s3rver on free 127.0.0.1 ports (in parallel;
 * s3rver in a child process, see s3.ts), or points everything at `AWS_ENDPOINT_URL` when that
 * is set. It throws {@link EmulatorStartTimeoutError} or {@link EmulatorExitedError} naming the
 * emulator that failed (after stopping the others), and {@link ContainerRuntimeUnavailableError}
 * for `backend: 'localstack'` without Docker.
 *
 * @example
 * const aws = await startEmulators();
 * try {
 *   await aws.clients.s3.send(new CreateBucketCommand({ Bucket: 'out' }));
 * } finally {
 *   await aws.stop();
 * }
 */
export async function startEmulators(options: StartEmulatorsOptions = {}): Promise<Emulators> {
  const region = options.region ?? DEFAULT_REGION;
  const endpointUrl = options.endpointUrl ?? nonEmpty(process.env.AWS_ENDPOINT_URL);
  const backend =
    options.backend === undefined || options.backend === 'auto' ? autoBackend(endpointUrl) : options.backend;

  if (backend === 'localstack') {
    const started = await startLocalStack({
      region,
      credentials: options.credentials ?? S3RVER_CREDENTIALS,
      ...(options.startTimeoutMs === undefined ? {} : { startTimeoutMs: options.startTimeoutMs }),
      ...(options.localstackImage === undefined ? {} : { image: options.localstackImage }),
      ...(options.localstackAuthToken === undefined ? {} : { authToken: options.localstackAuthToken }),
    });
    if (!started.available) throw started.error;
    return started.emulators;
  }
  if (backend === 'endpoint') return useEndpoint(endpointUrl, region, options);
  return startLocal(region, options);
}

function autoBackend(endpointUrl: string | undefined): Backend {
  return endpointUrl === undefined ? 'emulators' : 'endpoint';
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

async function useEndpoint(
  endpointUrl: string | undefined,
  region: string,
  options: StartEmulatorsOptions,
): Promise<Emulators> {
  const endpoint = parseEndpoint(endpointUrl ?? '');
  const credentials = options.credentials ?? S3RVER_CREDENTIALS;
  const endpoints = { kinesis: endpoint, dynamodb: endpoint, s3: endpoint };
  const readyMs = await waitForServices('endpoint', endpoints, {
    region,
    credentials,
    timeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
  });
  return assembleEmulators({
    backend: 'endpoint',
    kinesisEngine: undefined,
    region,
    credentials,
    endpoints,
    startupMs: { endpoint: readyMs },
    running: [],
  });
}

function parseEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidEndpointUrlError(value);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidEndpointUrlError(value);
  return value.replace(/\/+$/, '');
}

async function startLocal(region: string, options: StartEmulatorsOptions): Promise<Emulators> {
  const kinesisEngine = options.kinesis ?? 'kinesalite';
  const launch: LaunchOptions = {
    region,
    credentials: S3RVER_CREDENTIALS,
    startTimeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
  };
  const results = await Promise.allSettled([
    kinesisEngine === 'kinesalite'
      ? startKinesalite({ ...launch, ...(options.kinesalite ? { settings: options.kinesalite } : {}) })
      : startKinesisLocal({
          ...launch,
          ...(options.kinesisLocalEnv ? { env: options.kinesisLocalEnv } : {}),
        }),
    startDynalite({ ...launch, ...(options.dynalite ? { settings: options.dynalite } : {}) }),
    startS3rver(launch),
  ]);
  const running = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    // Leave nothing behind: the emulators that did start are stopped before reporting.
    await stopAll(running).catch(() => {});
    throw failure.reason;
  }
  const [kinesis, dynamodb, s3] = running as [RunningEmulator, RunningEmulator, RunningEmulator];
  const startupMs: Partial<Record<EmulatorName, number>> = {};
  for (const emulator of running) startupMs[emulator.name] = emulator.startupMs;
  return assembleEmulators({
    backend: 'emulators',
    kinesisEngine,
    region,
    credentials: launch.credentials,
    endpoints: { kinesis: kinesis.endpoint, dynamodb: dynamodb.endpoint, s3: s3.endpoint },
    startupMs,
    running,
  });
}
