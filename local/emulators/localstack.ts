import { assembleEmulators, waitForServices } from './assemble.js';
import { ContainerRuntimeUnavailableError } from './errors.js';
import type { EmulatorCredentials, Emulators } from './types.js';

/**
 * The pinned LocalStack image. Later images require `LOCALSTACK_AUTH_TOKEN`; pass one through
 * {@link LocalStackOptions.authToken} to use them.
 */
export const LOCALSTACK_IMAGE = 'localstack/localstack:4.4.0';

/** LocalStack pulls its image on first use, so it gets a longer start-up budget than the emulators. */
export const LOCALSTACK_START_TIMEOUT_MS = 180_000;

/** How to start LocalStack. */
export interface LocalStackOptions {
  readonly region: string;
  readonly credentials: EmulatorCredentials;
  /** @default {@link LOCALSTACK_START_TIMEOUT_MS} */
  readonly startTimeoutMs?: number;
  /** @default {@link LOCALSTACK_IMAGE} */
  readonly image?: string;
  /** Passed to the container as `LOCALSTACK_AUTH_TOKEN`. @default none */
  readonly authToken?: string;
}

/** LocalStack started, or why it could not be: tests skip with `reason`, never pass. */
export type LocalStackStart =
  | { readonly available: true; readonly emulators: Emulators }
  | { readonly available: false; readonly reason: string; readonly error: ContainerRuntimeUnavailableError };

/** Whether testcontainers finds a container runtime, and if not, why. */
export type ContainerRuntimeProbe =
  | { readonly available: true }
  | { readonly available: false; readonly reason: string; readonly error: ContainerRuntimeUnavailableError };

function unavailable(reason: string, cause?: unknown) {
  return { available: false, reason, error: new ContainerRuntimeUnavailableError(reason, cause) } as const;
}

/**
 * Asks testcontainers for a container runtime (Docker, Podman, ...). Answers within
 * milliseconds when there is none, with testcontainers' reason, e.g. "Could not find a
 * working container runtime strategy".
 */
export async function probeContainerRuntime(): Promise<ContainerRuntimeProbe> {
  let testcontainers: typeof import('testcontainers');
  try {
    testcontainers = await import('testcontainers');
  } catch (error) {
    return unavailable('testcontainers is not installed (run npm ci)', error);
  }
  try {
    await testcontainers.getContainerRuntimeClient();
    return { available: true };
  } catch (error) {
    return unavailable(error instanceof Error ? error.message : String(error), error);
  }
}

/**
 * Starts LocalStack (Kinesis, DynamoDB, S3) with testcontainers when a container runtime is
 * available, and returns the same {@link Emulators} shape as the in-process emulators. With
 * no runtime it returns `{ available: false, reason }` within milliseconds; any other start
 * failure (image pull, timeout) is thrown.
 *
 * @example
 * const localstack = await startLocalStack({ region: 'us-east-1', credentials });
 * if (!localstack.available) ctx.skip(localstack.reason);
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStackStart> {
  const started = performance.now();
  const runtime = await probeContainerRuntime();
  if (!runtime.available) return runtime;
  const localstack = await import('@testcontainers/localstack');

  const container = await new localstack.LocalstackContainer(options.image ?? LOCALSTACK_IMAGE)
    .withEnvironment({
      SERVICES: 'kinesis,dynamodb,s3',
      AWS_DEFAULT_REGION: options.region,
      ...(options.authToken === undefined ? {} : { LOCALSTACK_AUTH_TOKEN: options.authToken }),
    })
    .withStartupTimeout(options.startTimeoutMs ?? LOCALSTACK_START_TIMEOUT_MS)
    .start();
  const endpoint = container.getConnectionUri();
  const endpoints = { kinesis: endpoint, dynamodb: endpoint, s3: endpoint };
  const running = [
    { name: 'localstack' as const, endpoint, startupMs: 0, stop: () => container.stop().then(() => {}) },
  ];
  try {
    await waitForServices('localstack', endpoints, {
      ...options,
      timeoutMs: options.startTimeoutMs ?? 30_000,
    });
  } catch (error) {
    await container.stop().catch(() => {});
    throw error;
  }
  return {
    available: true,
    emulators: assembleEmulators({
      backend: 'localstack',
      kinesisEngine: undefined,
      region: options.region,
      credentials: options.credentials,
      endpoints,
      startupMs: { localstack: performance.now() - started },
      running,
    }),
  };
}
