import type { App, Stack } from 'aws-cdk-lib';
import {
  type Emulators,
  type KinesisEngine,
  type StartEmulatorsOptions,
  startEmulators,
} from './emulators/index.js';
import { type Provisioned, type ProvisionTemplateOptions, provisionApp } from './provision/index.js';
import { createLocalRunner, type LocalRunner, type LocalRunnerOptions } from './runner/index.js';

/** Options of {@link startLocalDeployment}. */
export interface LocalDeploymentOptions
  extends Pick<ProvisionTemplateOptions, 'projectRoot' | 'onDemandShardCount' | 'nameSuffix'> {
  /** Builds the stack to run in the given App (bundling is skipped). */
  readonly app: (app: App) => Stack | undefined;
  /** Kinesis emulator when starting emulators. @default 'kinesalite' */
  readonly kinesis?: KinesisEngine;
  /** More emulator options (ignored when `emulators` is given). @default none */
  readonly emulatorOptions?: Omit<StartEmulatorsOptions, 'kinesis'>;
  /** Use these running emulators instead of starting new ones (they are not stopped by `stop()`). */
  readonly emulators?: Emulators;
  /** Runner options besides the resources and emulators. @default the runner's defaults */
  readonly runner?: Omit<LocalRunnerOptions, 'resources' | 'emulators'>;
  /** Start the runner right away. @default true */
  readonly start?: boolean;
}

/** A CDK app running locally: emulators, the resources created from its template, and the runner. */
export interface LocalDeployment {
  readonly emulators: Emulators;
  /** Streams, tables, buckets, functions, mappings, schedules and `queries` by name. */
  readonly resources: Provisioned;
  readonly runner: LocalRunner;
  /** Stops the runner and the emulators this call started. */
  stop(): Promise<void>;
}

/**
 * Runs a CDK app on this machine the way AWS would run it: starts the emulators (kinesalite or
 * kinesis-local, dynalite, s3rver), synthesizes the app without bundling, creates its streams,
 * tables and buckets, and starts the local event source mappings and schedules.
 * (Named apart from `startLocalStack` in local/emulators, which starts the LocalStack container.)
 *
 * @example
 * const local = await startLocalDeployment({ app: (app) => new ExampleQueriesStack(app, 'SluiceExamples') });
 * const { stream } = local.resources.queries['page-views']!;
 * // ... PutRecords to `stream` with local.emulators.clients.kinesis
 * await local.runner.runUntilCaughtUp({ timeoutMs: 30_000 });
 * await local.stop();
 */
export async function startLocalDeployment(options: LocalDeploymentOptions): Promise<LocalDeployment> {
  const owned = options.emulators === undefined;
  const emulators =
    options.emulators ??
    (await startEmulators({
      backend: 'emulators',
      ...options.emulatorOptions,
      kinesis: options.kinesis ?? 'kinesalite',
    }));
  try {
    const resources = await provisionApp({
      app: options.app,
      emulators,
      ...(options.projectRoot === undefined ? {} : { projectRoot: options.projectRoot }),
      ...(options.onDemandShardCount === undefined ? {} : { onDemandShardCount: options.onDemandShardCount }),
      ...(options.nameSuffix === undefined ? {} : { nameSuffix: options.nameSuffix }),
    });
    const runner = createLocalRunner({ ...options.runner, resources, emulators });
    if (options.start ?? true) runner.start();
    return {
      emulators,
      resources,
      runner,
      async stop() {
        try {
          await runner.stop();
        } finally {
          if (owned) await emulators.stop();
        }
      },
    };
  } catch (error) {
    if (owned) await emulators.stop().catch(() => {});
    throw error;
  }
}
