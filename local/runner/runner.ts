import type { Emulators } from '../emulators/index.js';
import type { LocalResources } from '../provision/index.js';
import { CaughtUpTimeoutError, RunnerStateError, UnknownFunctionError } from './errors.js';
import { MappingRunner, type ShardStatus } from './event-source-mapping.js';
import { type FailedBatch, FailureDestinations } from './failure-destination.js';
import { functionEnvironment } from './function-environment.js';
import type { OutputStream } from './function-instance.js';
import { FunctionPool, type FunctionStats, type InvokeResult } from './function-pool.js';
import { ScheduleRunner } from './schedule.js';
import { Sleeper } from './sleeper.js';

/** Lambda polls each shard about once a second when it is idle. */
export const DEFAULT_POLL_INTERVAL_MS = 1_000;
/** How often new and closed shards are looked for. */
export const DEFAULT_DISCOVERY_INTERVAL_MS = 1_000;
/** Lambda's limit on a function's init phase. */
export const DEFAULT_INIT_TIMEOUT_MS = 10_000;
/** Backoff before retry n: min(max, initial × 2^(n−1)). */
export const DEFAULT_RETRY_BACKOFF = { initialMs: 100, maxMs: 5_000 } as const;
/** Log lines kept per function for `logs()`. */
const LOG_LINES_KEPT = 2_000;
/** Runner errors kept for `stats()`. */
const ERRORS_KEPT = 50;
/** How often `runUntilCaughtUp` looks. */
const CAUGHT_UP_CHECK_MS = 10;

/** A line a function printed. */
export interface FunctionLogLine {
  readonly function: string;
  readonly stream: OutputStream;
  readonly line: string;
}

/** Options of {@link createLocalRunner}; only `resources` and `emulators` are required. */
export interface LocalRunnerOptions {
  /** What provisioning created and read from the template. */
  readonly resources: LocalResources;
  readonly emulators: Pick<Emulators, 'clients' | 'endpoints' | 'region' | 'credentials'>;
  /** @default {@link DEFAULT_POLL_INTERVAL_MS} */
  readonly pollIntervalMs?: number;
  /** @default {@link DEFAULT_DISCOVERY_INTERVAL_MS} */
  readonly discoveryIntervalMs?: number;
  /** @default {@link DEFAULT_RETRY_BACKOFF} */
  readonly retryBackoff?: { readonly initialMs: number; readonly maxMs: number };
  /** @default {@link DEFAULT_INIT_TIMEOUT_MS} */
  readonly initTimeoutMs?: number;
  /** Run the template's scheduled rules (the heartbeat tick) on their rate. @default true */
  readonly schedules?: boolean;
  /** Schedules tick this many times as often (and heartbeats' quiet threshold shrinks alike). @default 1 */
  readonly scheduleSpeedUp?: number;
  /** Extra environment for every function, e.g. `{ POWERTOOLS_LOG_LEVEL: 'WARN' }`. @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /** Every line a function prints. @default kept for `logs()` only */
  readonly onLog?: (line: FunctionLogLine) => void;
  /** Also append each discarded batch (on-failure destination record) to this JSON Lines file. @default none */
  readonly failedBatchesFile?: string;
  /** The clock record ages are measured with, for tests of MaximumRecordAgeInSeconds. @default Date.now */
  readonly now?: () => number;
}

/** What the runner has done so far. */
export interface RunnerStats {
  readonly invocations: number;
  readonly functionErrors: number;
  readonly partialFailures: number;
  readonly bisects: number;
  readonly recordsRead: number;
  /** Records handed to functions, counting redeliveries. */
  readonly recordsInvoked: number;
  readonly discardedBatches: number;
  readonly discardedRecords: number;
  readonly scheduledTicks: number;
  readonly functions: Readonly<Record<string, FunctionStats>>;
  readonly shards: readonly ShardStatus[];
  /** Recent errors of the runner itself (Kinesis calls), newest last. */
  readonly errors: readonly string[];
}

/** The local event source mappings and schedules of a provisioned template. */
export interface LocalRunner {
  /** Starts polling every enabled mapping and ticking every schedule. Idempotent. */
  start(): void;
  /**
   * Stops polling and terminates every function worker: an invocation in flight ends like a
   * crash, and its batch is delivered again after `start()`.
   */
  stop(): Promise<void>;
  /**
   * Resolves when every shard has been read to its tip by a read that started after this call,
   * nothing is in flight and nothing waits to be retried (or closed shards are done).
   *
   * @throws {@link CaughtUpTimeoutError} naming what is still behind, after `timeoutMs` (default 30 s)
   */
  runUntilCaughtUp(options?: { readonly timeoutMs?: number }): Promise<RunnerStats>;
  /**
   * Runs the schedules once now (a heartbeat tick) and waits for them: every schedule, or only
   * those that target the function with logical id `functionLogicalId`.
   */
  tick(functionLogicalId?: string): Promise<void>;
  stats(): RunnerStats;
  /** Batches given up on (retries or record age exhausted), as the on-failure destination got them. */
  failedBatches(): readonly FailedBatch[];
  /** The last lines a function (by logical id) printed. */
  logs(functionLogicalId: string): readonly string[];
}

/**
 * Emulates Lambda for a provisioned template: each Kinesis event source mapping polls its
 * stream's shards and invokes its function as Lambda would ({@link MappingRunner}), each scheduled
 * rule ticks its targets ({@link ScheduleRunner}), and every function runs in its own
 * `worker_threads` workers with its resolved environment ({@link FunctionPool}).
 *
 * @example
 * const runner = createLocalRunner({ resources, emulators });
 * runner.start();
 * await putRecords(...);
 * await runner.runUntilCaughtUp({ timeoutMs: 20_000 });
 * await runner.stop();
 */
export function createLocalRunner(options: LocalRunnerOptions): LocalRunner {
  const { resources, emulators } = options;
  const speedUp = options.scheduleSpeedUp ?? 1;
  const failures = new FailureDestinations(options.failedBatchesFile);
  const errors: string[] = [];
  const onError = (error: unknown) => {
    errors.push(error instanceof Error ? error.message : String(error));
    if (errors.length > ERRORS_KEPT) errors.shift();
  };
  const logs = new Map<string, string[]>();
  const scheduled = new Set(resources.schedules.flatMap((schedule) => schedule.functionLogicalIds));

  const pools = new Map<string, FunctionPool>();
  const poolOf = (logicalId: string): FunctionPool => {
    let pool = pools.get(logicalId);
    if (pool === undefined) {
      const fn = resources.functions[logicalId]!;
      const kept = logs.get(logicalId) ?? [];
      logs.set(logicalId, kept);
      pool = new FunctionPool(fn, {
        env: functionEnvironment(fn, emulators, {
          extra: options.environment ?? {},
          speedUp,
          scheduled: scheduled.has(logicalId),
        }),
        initTimeoutMs: options.initTimeoutMs ?? DEFAULT_INIT_TIMEOUT_MS,
        onOutput: (stream, line) => {
          kept.push(line);
          if (kept.length > LOG_LINES_KEPT) kept.shift();
          options.onLog?.({ function: logicalId, stream, line });
        },
      });
      pools.set(logicalId, pool);
    }
    return pool;
  };
  const invoke = (logicalId: string, event: unknown): Promise<InvokeResult> =>
    poolOf(logicalId).invoke(event);

  const mappings = resources.eventSourceMappings
    .filter((mapping) => mapping.enabled)
    .map(
      (mapping) =>
        new MappingRunner(mapping, {
          client: emulators.clients.kinesis,
          fn: resources.functions[mapping.functionLogicalId]!,
          region: resources.region,
          timing: {
            pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
            retryInitialMs: options.retryBackoff?.initialMs ?? DEFAULT_RETRY_BACKOFF.initialMs,
            retryMaxMs: options.retryBackoff?.maxMs ?? DEFAULT_RETRY_BACKOFF.maxMs,
            now: options.now ?? Date.now,
          },
          invoke: (event) => invoke(mapping.functionLogicalId, event),
          failures,
          onError,
          discoveryIntervalMs: options.discoveryIntervalMs ?? DEFAULT_DISCOVERY_INTERVAL_MS,
        }),
    );
  const schedules = resources.schedules.map(
    (schedule) =>
      new ScheduleRunner(schedule, {
        region: resources.region,
        accountId: resources.accountId,
        stackName: resources.stackName,
        speedUp,
        invoke,
        onError,
      }),
  );

  let state: 'new' | 'running' | 'stopped' = 'new';
  const stats = (): RunnerStats => {
    const shards = mappings.flatMap((mapping) => mapping.shardStatus());
    const sum = (pick: (shard: ShardStatus) => number) =>
      shards.reduce((total, shard) => total + pick(shard), 0);
    return {
      invocations: sum((s) => s.invocations),
      functionErrors: sum((s) => s.functionErrors),
      partialFailures: sum((s) => s.partialFailures),
      bisects: sum((s) => s.bisects),
      recordsRead: sum((s) => s.recordsRead),
      recordsInvoked: sum((s) => s.recordsInvoked),
      discardedBatches: sum((s) => s.discardedBatches),
      discardedRecords: sum((s) => s.discardedRecords),
      scheduledTicks: schedules.reduce((total, schedule) => total + schedule.stats().ticks, 0),
      functions: Object.fromEntries([...pools].map(([id, pool]) => [id, pool.stats()])),
      shards,
      errors: [...errors],
    };
  };

  return {
    start() {
      if (state === 'running') return;
      state = 'running';
      for (const mapping of mappings) mapping.start();
      if (options.schedules ?? true) for (const schedule of schedules) schedule.start();
    },
    async stop() {
      if (state !== 'running') {
        state = 'stopped';
        await Promise.all([...pools.values()].map((pool) => pool.stop()));
        return;
      }
      state = 'stopped';
      // Polling stops first; then the workers go, so an invocation in flight ends like a crash
      // (its batch is delivered again after a restart) instead of holding stop() up to its Timeout.
      const stopping = [...mappings.map((m) => m.stop()), ...schedules.map((s) => s.stop())];
      await Promise.all([...pools.values()].map((pool) => pool.stop()));
      await Promise.all(stopping);
      pools.clear();
    },
    async runUntilCaughtUp(wait = {}) {
      if (state !== 'running')
        throw new RunnerStateError(
          `runUntilCaughtUp needs a running runner (it is ${state}); call runner.start() first.`,
        );
      const timeoutMs = wait.timeoutMs ?? 30_000;
      const since = performance.now();
      for (const mapping of mappings) mapping.wake();
      const sleeper = new Sleeper();
      while (!mappings.every((mapping) => mapping.caughtUpSince(since))) {
        if (performance.now() - since > timeoutMs) {
          throw new CaughtUpTimeoutError(
            timeoutMs,
            mappings.flatMap((mapping) => mapping.behind(since)),
          );
        }
        await sleeper.sleep(CAUGHT_UP_CHECK_MS);
      }
      return stats();
    },
    async tick(functionLogicalId) {
      if (functionLogicalId !== undefined && resources.functions[functionLogicalId] === undefined)
        throw new UnknownFunctionError(functionLogicalId, Object.keys(resources.functions));
      const chosen = schedules.filter(
        (schedule) =>
          functionLogicalId === undefined || schedule.schedule.functionLogicalIds.includes(functionLogicalId),
      );
      await Promise.all(chosen.map((schedule) => schedule.tick()));
    },
    stats,
    failedBatches: () => failures.list(),
    logs(logicalId) {
      if (resources.functions[logicalId] === undefined)
        throw new UnknownFunctionError(logicalId, Object.keys(resources.functions));
      return [...(logs.get(logicalId) ?? [])];
    },
  };
}
