import { randomUUID } from 'node:crypto';
import type { LocalFunction } from '../provision/index.js';
import { FunctionInstance, type OutputStream } from './function-instance.js';
import type { SerializedError } from './worker/protocol.js';

/** One invocation's result as the event source mapping sees it. */
export interface InvokeResult {
  /** `false` for a function error: thrown, timed out, crashed, or failed to initialize. */
  readonly ok: boolean;
  /** The handler's response as JSON (when `ok`). */
  readonly value?: unknown;
  readonly error?: SerializedError;
  readonly requestId: string;
  readonly coldStart: boolean;
  /** Init phase of a cold start, in ms (0 when warm). */
  readonly initMs: number;
  readonly durationMs: number;
}

/** Counters of one function. */
export interface FunctionStats {
  readonly invocations: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly coldStarts: number;
  readonly instances: number;
  /** Milliseconds spent in init phases (cold starts). */
  readonly initMs: number;
  /** Milliseconds spent in handlers. */
  readonly durationMs: number;
}

/** How the pool starts instances. */
export interface FunctionPoolSettings {
  readonly env: Readonly<Record<string, string>>;
  readonly initTimeoutMs: number;
  readonly onOutput: (stream: OutputStream, line: string) => void;
}

/**
 * The execution environments of one function, like Lambda's: an invocation takes an idle
 * instance or starts a new one (a cold start with its own module state), so concurrent
 * invocations (one per shard) run in separate workers. An instance that timed out or crashed is
 * discarded; the next invocation starts a fresh one.
 */
export class FunctionPool {
  private readonly idle: FunctionInstance[] = [];
  private readonly all = new Set<FunctionInstance>();
  private counters = { invocations: 0, errors: 0, timeouts: 0, coldStarts: 0, initMs: 0, durationMs: 0 };
  private stopped = false;

  constructor(
    readonly fn: LocalFunction,
    private readonly settings: FunctionPoolSettings,
  ) {}

  /** Invokes the function once with `event`; never rejects (function errors are results). */
  async invoke(event: unknown): Promise<InvokeResult> {
    const requestId = randomUUID();
    const started = performance.now();
    this.counters.invocations++;
    let instance = this.takeIdle();
    const coldStart = instance === undefined;
    if (instance === undefined) {
      this.counters.coldStarts++;
      const startedOrError = await FunctionInstance.start({ fn: this.fn, ...this.settings }).catch(
        (error: unknown): SerializedError => ({
          errorType: 'Runtime.InitError',
          errorMessage: `could not start a worker: ${error instanceof Error ? error.message : String(error)}`,
        }),
      );
      if (!(startedOrError instanceof FunctionInstance)) {
        this.counters.errors++;
        const elapsed = performance.now() - started;
        return {
          ok: false,
          error: startedOrError,
          requestId,
          coldStart,
          initMs: elapsed,
          durationMs: elapsed,
        };
      }
      instance = startedOrError;
      if (this.stopped) {
        await instance.terminate();
        const elapsed = performance.now() - started;
        const error = { errorType: 'Runtime.ExitError', errorMessage: 'the runner stopped the function' };
        return { ok: false, error, requestId, coldStart, initMs: elapsed, durationMs: 0 };
      }
      this.all.add(instance);
    }
    const initMs = coldStart ? performance.now() - started : 0;
    const result = await instance.invoke(
      event,
      {
        functionName: this.fn.name,
        functionVersion: '$LATEST',
        invokedFunctionArn: this.fn.arn,
        memoryLimitInMB: String(this.fn.memoryMb),
        awsRequestId: requestId,
        logGroupName: `/aws/lambda/${this.fn.name}`,
        logStreamName: `local/[$LATEST]${requestId.replaceAll('-', '')}`,
        deadlineMs: Date.now() + this.fn.timeoutMs,
      },
      this.fn.timeoutMs,
    );
    if (result.ok) this.release(instance);
    else {
      this.counters.errors++;
      if (result.error.errorType === 'Sandbox.Timedout') this.counters.timeouts++;
      if (result.instanceLost) this.all.delete(instance);
      else this.release(instance);
    }
    const durationMs = performance.now() - started - initMs;
    this.counters.durationMs += durationMs;
    if (coldStart) this.counters.initMs += initMs;
    return {
      ok: result.ok,
      ...(result.ok ? { value: result.value } : { error: result.error }),
      requestId,
      coldStart,
      initMs: coldStart ? initMs : 0,
      durationMs,
    };
  }

  stats(): FunctionStats {
    return { ...this.counters, instances: this.all.size };
  }

  /** Terminates every instance; later invocations start none. */
  async stop(): Promise<void> {
    this.stopped = true;
    const instances = [...this.all];
    this.all.clear();
    this.idle.length = 0;
    await Promise.all(instances.map((instance) => instance.terminate()));
  }

  private takeIdle(): FunctionInstance | undefined {
    for (let instance = this.idle.pop(); instance !== undefined; instance = this.idle.pop()) {
      if (instance.usable) return instance;
      this.all.delete(instance);
    }
    return undefined;
  }

  private release(instance: FunctionInstance): void {
    if (this.stopped) void instance.terminate();
    else this.idle.push(instance);
  }
}
