import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { dynamoDbClient } from './clients.js';
import { closeHttpServer, listenOnFreePort, loopbackUrl } from './ports.js';
import { PROBE_REQUEST_TIMEOUT_MS, waitUntilReady } from './readiness.js';
import type { LaunchOptions, RunningEmulator } from './types.js';

/** dynalite settings; every table state change is instant by default. */
export interface DynaliteSettings {
  /** @default 0 */
  readonly createTableMs?: number;
  /** @default 0 */
  readonly deleteTableMs?: number;
  /** @default 0 */
  readonly updateTableMs?: number;
  /** @default 400 (DynamoDB's limit) */
  readonly maxItemSizeKb?: number;
}

/** Defaults for {@link DynaliteSettings}. */
export const DYNALITE_DEFAULTS: Required<DynaliteSettings> = {
  createTableMs: 0,
  deleteTableMs: 0,
  updateTableMs: 0,
  maxItemSizeKb: 400,
};

/**
 * Starts dynalite (DynamoDB, in memory) in this process on a free loopback port.
 *
 * @example
 * const dynamodb = await startDynalite({ region: 'us-east-1', credentials, startTimeoutMs: 10_000 });
 * await dynamodb.stop();
 */
export async function startDynalite(
  options: LaunchOptions & { readonly settings?: DynaliteSettings },
): Promise<RunningEmulator> {
  const started = performance.now();
  const { default: dynalite } = await import('dynalite');
  const server = dynalite({ ...DYNALITE_DEFAULTS, ...options.settings });
  const endpoint = loopbackUrl(await listenOnFreePort(server));
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= closeHttpServer(server);
    return stopped;
  };
  const client = dynamoDbClient(endpoint, {
    ...options,
    maxAttempts: 1,
    requestTimeoutMs: PROBE_REQUEST_TIMEOUT_MS,
  });
  try {
    await waitUntilReady({
      emulator: 'dynalite',
      endpoint,
      timeoutMs: options.startTimeoutMs,
      probe: () => client.send(new ListTablesCommand({})),
    });
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  } finally {
    client.destroy();
  }
  return { name: 'dynalite', endpoint, startupMs: performance.now() - started, stop };
}
