/**
 * The emulators for the AWS benchmarks: dynalite and kinesalite each in a child process of
 * their own (the handlers' CPU and the emulators' CPU are measured apart, as they would be on
 * AWS), s3rver in its usual child process. Clients are the engine's own (`createAwsClients`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { type AwsClients, createAwsClients } from '../../engine/aws/clients.js';
import { S3RVER_CREDENTIALS, startS3rver } from '../../local/emulators/index.js';

const HOST = fileURLToPath(new URL('./emulator-host.ts', import.meta.url));
const REGION = 'us-east-1';

/** Where the emulators listen. */
export interface BenchEndpoints {
  readonly dynamodb: string;
  readonly kinesis: string;
  readonly s3: string;
}

export interface BenchEmulators {
  readonly endpoints: BenchEndpoints;
  /** Fresh clients (their own sockets and middleware stacks) for one system under test. */
  clients(): AwsClients;
  stop(): Promise<void>;
}

/** Clients for the benchmark emulators (also used by child processes, given the endpoints). */
export function benchClients(endpoints: BenchEndpoints): AwsClients {
  return createAwsClients({ region: REGION, endpoints, credentials: { ...S3RVER_CREDENTIALS } });
}

async function host(name: 'dynalite' | 'kinesalite'): Promise<{ endpoint: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOST, name], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`${name} host exited with code ${code} before it was ready`);
  });
  const [message] = (await Promise.race([once(child, 'message'), exited])) as [{ endpoint: string }];
  return { endpoint: message.endpoint, child };
}

/** Starts the three emulators; `stop()` ends the processes it started. */
export async function startBenchEmulators(): Promise<BenchEmulators> {
  const [dynalite, kinesalite, s3rver] = await Promise.all([
    host('dynalite'),
    host('kinesalite'),
    startS3rver({ region: REGION, credentials: S3RVER_CREDENTIALS, startTimeoutMs: 30_000 }),
  ]);
  const endpoints = { dynamodb: dynalite.endpoint, kinesis: kinesalite.endpoint, s3: s3rver.endpoint };
  return {
    endpoints,
    clients: () => benchClients(endpoints),
    async stop() {
      for (const child of [dynalite.child, kinesalite.child]) {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGKILL');
          await once(child, 'exit').catch(() => undefined);
        }
      }
      await s3rver.stop();
    },
  };
}
