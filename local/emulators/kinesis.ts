import { createRequire } from 'node:module';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { spawnNodeChild, withoutLegacyOpenSsl } from './child.js';
import { kinesisClient } from './clients.js';
import { EmulatorExitedError } from './errors.js';
import { closeHttpServer, freePorts, listenOnFreePort, loopbackUrl } from './ports.js';
import { PROBE_REQUEST_TIMEOUT_MS, waitUntilReady } from './readiness.js';
import type { KinesisEngine, LaunchOptions, RunningEmulator } from './types.js';

/** kinesalite settings; every stream state change is instant by default. */
export interface KinesaliteSettings {
  /** @default 0 */
  readonly createStreamMs?: number;
  /** @default 0 */
  readonly deleteStreamMs?: number;
  /** @default 0 */
  readonly updateStreamMs?: number;
  /** Open shards allowed across all streams. @default 1000 */
  readonly shardLimit?: number;
}

/** Defaults for {@link KinesaliteSettings}. */
export const KINESALITE_DEFAULTS: Required<KinesaliteSettings> = {
  createStreamMs: 0,
  deleteStreamMs: 0,
  updateStreamMs: 0,
  shardLimit: 1000,
};

/**
 * Environment for kinesis-local (kinesis-mock) besides its ports and certificate: instant
 * stream state changes, no data loaded from or persisted to the working directory, quiet logs.
 */
export const KINESIS_LOCAL_DEFAULT_ENV: Readonly<Record<string, string>> = {
  CREATE_STREAM_DURATION: '0ms',
  DELETE_STREAM_DURATION: '0ms',
  MERGE_SHARDS_DURATION: '0ms',
  SPLIT_SHARD_DURATION: '0ms',
  UPDATE_SHARD_COUNT_DURATION: '0ms',
  LOAD_DATA_IF_EXISTS: 'false',
  SHOULD_PERSIST_DATA: 'false',
  LOG_LEVEL: 'WARN',
};

/** Attempts at finding free ports for kinesis-local when another process takes one first. */
const KINESIS_LOCAL_PORT_ATTEMPTS = 3;

async function waitForKinesis(
  name: KinesisEngine,
  endpoint: string,
  options: LaunchOptions,
  failed?: Promise<never>,
): Promise<void> {
  const client = kinesisClient(endpoint, {
    ...options,
    maxAttempts: 1,
    requestTimeoutMs: PROBE_REQUEST_TIMEOUT_MS,
  });
  try {
    await waitUntilReady({
      emulator: name,
      endpoint,
      timeoutMs: options.startTimeoutMs,
      probe: () => client.send(new ListStreamsCommand({})),
      ...(failed ? { failed } : {}),
    });
  } finally {
    client.destroy();
  }
}

/**
 * Starts kinesalite in this process on a free loopback port.
 *
 * @example
 * const kinesis = await startKinesalite({ region: 'us-east-1', credentials, startTimeoutMs: 10_000 });
 * // ... new KinesisClient({ endpoint: kinesis.endpoint, requestHandler: new NodeHttpHandler(), ... })
 * await kinesis.stop();
 */
export async function startKinesalite(
  options: LaunchOptions & { readonly settings?: KinesaliteSettings },
): Promise<RunningEmulator> {
  const started = performance.now();
  const { default: kinesalite } = await import('kinesalite');
  const server = kinesalite({ ...KINESALITE_DEFAULTS, ...options.settings });
  const endpoint = loopbackUrl(await listenOnFreePort(server));
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= closeHttpServer(server);
    return stopped;
  };
  try {
    await waitForKinesis('kinesalite', endpoint, options);
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
  return { name: 'kinesalite', endpoint, startupMs: performance.now() - started, stop };
}

/**
 * Starts kinesis-local (kinesis-mock, LocalStack's Kinesis engine) in a child process on free
 * loopback ports. It cannot run in-process: it has no way to stop its servers. Use it for
 * small fidelity checks; it slows down as a shard fills.
 *
 * @example
 * const kinesis = await startKinesisLocal({ region: 'us-east-1', credentials, startTimeoutMs: 20_000 });
 * await kinesis.stop();
 */
export async function startKinesisLocal(
  options: LaunchOptions & { readonly env?: Readonly<Record<string, string>> },
): Promise<RunningEmulator> {
  const started = performance.now();
  const require = createRequire(import.meta.url);
  const main = require.resolve('kinesis-local');
  const certificate = require.resolve('kinesis-local/server.json');

  for (let attempt = 1; ; attempt++) {
    const [plainPort, tlsPort] = (await freePorts(2)) as [number, number];
    const child = spawnNodeChild({
      name: 'kinesis-local',
      script: `require(${JSON.stringify(main)});`,
      // kinesis-mock runs without the legacy OpenSSL provider that s3rver needs (TOOLCHAIN.md).
      env: {
        ...withoutLegacyOpenSsl(process.env),
        ...KINESIS_LOCAL_DEFAULT_ENV,
        ...options.env,
        KINESIS_MOCK_CERT_PATH: certificate,
        KINESIS_MOCK_PLAIN_PORT: String(plainPort),
        KINESIS_MOCK_TLS_PORT: String(tlsPort),
        AWS_REGION: options.region,
      },
    });
    const endpoint = loopbackUrl(plainPort);
    try {
      await waitForKinesis('kinesis-local', endpoint, options, child.failed);
      return { name: 'kinesis-local', endpoint, startupMs: performance.now() - started, stop: child.stop };
    } catch (error) {
      await child.stop();
      const portTaken = error instanceof EmulatorExitedError && /EADDRINUSE/.test(child.output());
      if (!portTaken || attempt >= KINESIS_LOCAL_PORT_ATTEMPTS) throw error;
    }
  }
}
