import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { createClients, destroyClients, dynamoDbClient, kinesisClient, s3Client } from './clients.js';
import { EmulatorStopError } from './errors.js';
import { PROBE_REQUEST_TIMEOUT_MS, waitUntilReady } from './readiness.js';
import type {
  Backend,
  EmulatorCredentials,
  EmulatorName,
  Emulators,
  KinesisEngine,
  RunningEmulator,
  ServiceName,
} from './types.js';

/** What {@link assembleEmulators} needs to know about the running services. */
export interface AssembleInput {
  readonly backend: Backend;
  readonly kinesisEngine: KinesisEngine | undefined;
  readonly region: string;
  readonly credentials: EmulatorCredentials;
  readonly endpoints: Readonly<Record<ServiceName, string>>;
  readonly startupMs: Readonly<Partial<Record<EmulatorName, number>>>;
  /** Stopped in order by `stop()`, after the clients are destroyed. */
  readonly running: readonly RunningEmulator[];
}

/** Builds the {@link Emulators} handle: clients for the endpoints and an idempotent `stop()`. */
export function assembleEmulators(input: AssembleInput): Emulators {
  const clients = createClients(input.endpoints, input);
  let stopped: Promise<void> | undefined;
  return {
    backend: input.backend,
    kinesisEngine: input.kinesisEngine,
    region: input.region,
    credentials: input.credentials,
    endpoints: input.endpoints,
    clients,
    startupMs: input.startupMs,
    stop() {
      stopped ??= (async () => {
        destroyClients(clients);
        await stopAll(input.running);
      })();
      return stopped;
    },
  };
}

/**
 * Stops every emulator even if some fail, then throws {@link EmulatorStopError} for the first
 * failure (with all failures in an `AggregateError` as its cause when there are several).
 */
export async function stopAll(running: readonly RunningEmulator[]): Promise<void> {
  const results = await Promise.allSettled(running.map((emulator) => emulator.stop()));
  const failures = results.flatMap((result, i) =>
    result.status === 'rejected' ? [{ name: running[i]!.name, reason: result.reason as unknown }] : [],
  );
  const first = failures[0];
  if (first === undefined) return;
  const cause =
    failures.length === 1
      ? first.reason
      : new AggregateError(
          failures.map((f) => f.reason),
          failures.map((f) => f.name).join(', '),
        );
  throw new EmulatorStopError(first.name, cause);
}

/**
 * Waits until Kinesis, DynamoDB and S3 each answer a real API call at their endpoints (for
 * LocalStack or an `AWS_ENDPOINT_URL`, where one endpoint serves all three).
 */
export async function waitForServices(
  emulator: EmulatorName,
  endpoints: Readonly<Record<ServiceName, string>>,
  settings: {
    readonly region: string;
    readonly credentials: EmulatorCredentials;
    readonly timeoutMs: number;
  },
): Promise<number> {
  const probeSettings = { ...settings, maxAttempts: 1, requestTimeoutMs: PROBE_REQUEST_TIMEOUT_MS };
  const kinesis = kinesisClient(endpoints.kinesis, probeSettings);
  const dynamodb = dynamoDbClient(endpoints.dynamodb, probeSettings);
  const s3 = s3Client(endpoints.s3, probeSettings);
  // The first failure ends the other waits too, so that no probe keeps polling in the background.
  const controller = new AbortController();
  const wait = (endpoint: string, probe: () => Promise<unknown>) =>
    waitUntilReady({
      emulator,
      endpoint,
      timeoutMs: settings.timeoutMs,
      probe,
      signal: controller.signal,
    }).catch((error: unknown) => {
      controller.abort(error);
      throw error;
    });
  try {
    const times = await Promise.all([
      wait(endpoints.kinesis, () => kinesis.send(new ListStreamsCommand({}))),
      wait(endpoints.dynamodb, () => dynamodb.send(new ListTablesCommand({}))),
      wait(endpoints.s3, () => s3.send(new ListBucketsCommand({}))),
    ]);
    return Math.max(...times);
  } finally {
    kinesis.destroy();
    dynamodb.destroy();
    s3.destroy();
  }
}
