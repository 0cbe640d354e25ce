import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { spawnNodeChild } from './child.js';
import { s3Client } from './clients.js';
import { LOOPBACK, loopbackUrl } from './ports.js';
import { PROBE_REQUEST_TIMEOUT_MS, waitUntilReady, withStartTimeout } from './readiness.js';
import type { EmulatorCredentials, LaunchOptions, RunningEmulator } from './types.js';

/** The only credentials s3rver accepts (it checks request signatures). */
export const S3RVER_CREDENTIALS: EmulatorCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * Why s3rver runs in a child process started with `--openssl-legacy-provider`:
 *
 * s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node 17+) only
 * offers through its legacy provider; without it every paged listing (more than 1,000 keys,
 * or any truncated `MaxKeys` page) fails with HTTP 500. The provider can only be enabled when a process
 * starts (a flag or `NODE_OPTIONS`), never at run time, and it is process-wide. Hosting s3rver
 * in its own child process started with the flag therefore:
 * - works under every host (vitest, tsx, the CLI, plain node) with no flag for the user to
 *   remember, and no vitest configuration to keep in step;
 * - keeps legacy ciphers out of the process that runs the code under test, so tests exercise
 *   the same OpenSSL configuration as Lambda;
 * - costs ~200 ms of start-up (a Node process plus s3rver), and the child exits with its
 *   parent (IPC disconnect).
 * The alternative, setting the flag for the vitest workers in vitest.config.ts, would fix the
 * tests only (not the CLI) and reach every child process, kinesis-local included, which is to
 * run without it.
 */
const S3RVER_SCRIPT = `
const S3rver = require(OPTIONS.module);
new S3rver({ port: 0, address: OPTIONS.address, silent: true, directory: OPTIONS.directory })
  .run()
  .then(
    (address) => process.send({ port: address.port }),
    (error) => {
      console.error((error && error.stack) || String(error));
      process.exit(1);
    },
  );
`;

/**
 * Starts s3rver (S3 on the local file system, under a fresh temporary directory) in a child
 * process on a free loopback port. Clients must sign with {@link S3RVER_CREDENTIALS} and use
 * path-style addressing. `stop()` kills the child and deletes the directory.
 *
 * @example
 * const s3 = await startS3rver({ region: 'us-east-1', credentials: S3RVER_CREDENTIALS, startTimeoutMs: 10_000 });
 * await s3.stop();
 */
export async function startS3rver(options: LaunchOptions): Promise<RunningEmulator> {
  const started = performance.now();
  const directory = await mkdtemp(join(tmpdir(), 'sluice-s3rver-'));
  const scriptOptions = {
    module: createRequire(import.meta.url).resolve('s3rver'),
    address: LOOPBACK,
    directory,
  };
  const child = spawnNodeChild({
    name: 's3rver',
    script: `const OPTIONS = ${JSON.stringify(scriptOptions)};\n${S3RVER_SCRIPT}`,
    execArgv: ['--openssl-legacy-provider'],
    env: process.env,
  });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= child.stop().then(() => rm(directory, { recursive: true, force: true }));
    return stopped;
  };

  try {
    const message = await withStartTimeout(
      child.firstMessage,
      's3rver',
      'port not yet reported by its child process',
      options.startTimeoutMs,
    );
    const endpoint = loopbackUrl((message as { port: number }).port);
    const remainingMs = Math.max(1, options.startTimeoutMs - (performance.now() - started));
    const client = s3Client(endpoint, {
      ...options,
      maxAttempts: 1,
      requestTimeoutMs: PROBE_REQUEST_TIMEOUT_MS,
    });
    try {
      await waitUntilReady({
        emulator: 's3rver',
        endpoint,
        timeoutMs: remainingMs,
        failed: child.failed,
        probe: () => client.send(new ListBucketsCommand({})),
      });
    } finally {
      client.destroy();
    }
    return { name: 's3rver', endpoint, startupMs: performance.now() - started, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
