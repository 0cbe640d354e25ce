import { type Emulators, type KinesisEngine, startEmulators } from '../../local/emulators/index.js';
import { type Provisioned, provisionTemplate } from '../../local/provision/index.js';
import { createLocalRunner, type LocalRunner, type LocalRunnerOptions } from '../../local/runner/index.js';
import type { LocalState } from '../target/local-state.js';
import { findAppEntry } from './app-entry.js';
import { synthesizeAppEntry } from './app-template.js';
import { discoverQuery } from './query-discovery.js';

/**
 * Init-phase limit of the local functions. Lambda allows 10 s, but here each function's TypeScript
 * is compiled on its first import, which a busy machine can stretch well past that; a cold start
 * that hit Lambda's limit would only show up as retried function errors.
 */
export const LOCAL_INIT_TIMEOUT_MS = 60_000;

/** Options of {@link startLocalStack}. */
export interface LocalStackOptions {
  /** Where `cdk.json` and relative `sluice:entry` paths live. */
  readonly projectRoot: string;
  /** The CDK app entry; @default the `.ts`/`.js` file of `cdk.json`'s `app` command */
  readonly app?: string;
  /** The stack to run when the app has several. */
  readonly stack?: string;
  /** @default 'kinesalite' */
  readonly kinesis?: KinesisEngine;
  /** Runner options besides the resources and emulators. */
  readonly runner?: Omit<LocalRunnerOptions, 'resources' | 'emulators'>;
}

/** The local stack: emulators, what provisioning created, the running runner, and the state file's content. */
export interface RunningLocalStack {
  readonly emulators: Emulators;
  readonly resources: Provisioned;
  readonly runner: LocalRunner;
  /** What `.sluice/local.json` records for the other commands. */
  readonly state: LocalState;
  /** Milliseconds per step, for the start-up line. */
  readonly timings: { readonly synthMs: number; readonly provisionMs: number; readonly totalMs: number };
  /** Stops the runner, then the emulators. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Runs the project's CDK app on this machine: synthesizes the app entry (no bundling), then starts the
 * emulators (kinesalite or kinesis-local, dynalite, s3rver), creates the template's streams,
 * tables and buckets, learns each query's sources and partition key from its definition (see
 * {@link discoverQuery}), and starts the local event source mappings and schedules.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<RunningLocalStack> {
  const started = performance.now();
  const entry = await findAppEntry(options.projectRoot, options.app);
  // One after the other: synthesis loads aws-cdk-lib and the app synchronously, which on a loaded
  // machine can block this process longer than the emulators' start timeouts (their children's
  // messages would wait behind it). An app that fails to synthesize starts no emulator.
  const synthesized = await synthesizeAppEntry(entry, options.stack);
  const running = await startEmulators({ backend: 'emulators', kinesis: options.kinesis ?? 'kinesalite' });
  try {
    const resources = await provisionTemplate({
      template: synthesized.template,
      stackName: synthesized.stackName,
      emulators: running,
      projectRoot: options.projectRoot,
    });
    const queries = await Promise.all(
      Object.values(resources.queries).map(async (query) => {
        const facts = await discoverQuery(query.query, resources.functions[query.queryFunction]?.entry);
        return {
          name: query.query,
          stream: query.stream,
          table: query.table,
          bucket: query.bucket,
          prefix: query.prefix,
          sources: [...facts.sources],
          ...(facts.partitionKey === undefined ? {} : { partitionKey: facts.partitionKey }),
          ...(facts.keyColumns === undefined ? {} : { keyColumns: [...facts.keyColumns] }),
          ...(query.exchange === undefined ? {} : { exchangeStream: query.exchange.stream }),
        };
      }),
    );
    const runner = createLocalRunner({
      initTimeoutMs: LOCAL_INIT_TIMEOUT_MS,
      ...options.runner,
      resources,
      emulators: running,
    });
    runner.start();
    let stopped: Promise<void> | undefined;
    return {
      emulators: running,
      resources,
      runner,
      state: {
        formatVersion: 1,
        pid: process.pid,
        startedAt: new Date().toISOString(),
        region: running.region,
        credentials: { ...running.credentials },
        endpoints: { ...running.endpoints },
        queries,
        backfills: [],
      },
      timings: {
        synthMs: synthesized.synthMs,
        provisionMs: resources.provisionMs,
        totalMs: performance.now() - started,
      },
      stop() {
        stopped ??= (async () => {
          try {
            await runner.stop();
          } finally {
            await running.stop();
          }
        })();
        return stopped;
      },
    };
  } catch (error) {
    await running.stop().catch(() => {});
    throw error;
  }
}
