import { Worker } from 'node:worker_threads';
import type { LocalFunction } from '../provision/index.js';
import type {
  ContextFields,
  HostData,
  HostMessage,
  InvokeMessage,
  SerializedError,
} from './worker/protocol.js';

/** Which end of a function's output a log line came from. */
export type OutputStream = 'stdout' | 'stderr';

/** How to start one execution environment of a function. */
export interface InstanceSettings {
  readonly fn: LocalFunction;
  /** The worker's whole environment (nothing is inherited from this process). */
  readonly env: Readonly<Record<string, string>>;
  /** Lambda gives the init phase (importing the entry) 10 s. */
  readonly initTimeoutMs: number;
  readonly onOutput: (stream: OutputStream, line: string) => void;
}

/** What an invocation of one instance returned. */
export type InstanceResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: SerializedError; readonly instanceLost: boolean };

const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
const HOST_URL = new URL(`./worker/function-host.${extension}`, import.meta.url).href;
const TSX_API_URL = import.meta.resolve('tsx/esm/api');

/**
 * The worker's bootstrap (a CommonJS script): load the host through tsx's `tsImport`, so the host,
 * the entry and everything they import may be TypeScript. (`execArgv: ['--import', 'tsx']` does not
 * reach worker threads on Node 20: their module loader ignores it.) A failure to load is reported
 * as an init error like any other.
 */
const BOOTSTRAP = `
import(${JSON.stringify(TSX_API_URL)})
  .then(({ tsImport }) => tsImport(${JSON.stringify(HOST_URL)}, ${JSON.stringify(HOST_URL)}))
  .catch((error) => require('node:worker_threads').parentPort.postMessage({
    type: 'init-error',
    error: { errorType: (error && error.name) || 'Error', errorMessage: String((error && error.message) || error), stack: error && error.stack },
  }));
`;

/**
 * One execution environment of a function: a `worker_threads` Worker with the function's own
 * environment and module graph (so its own cold start), running one invocation at a time.
 * `start` runs the init phase; an instance that timed out or crashed is terminated and never reused.
 */
export class FunctionInstance {
  private nextId = 1;
  private pending: { id: number; settle: (result: InstanceResult) => void } | undefined;
  private lost: SerializedError | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: HostMessage) => {
      if (message.type !== 'result' || this.pending?.id !== message.id) return;
      const { settle } = this.pending;
      this.pending = undefined;
      settle(
        message.ok
          ? { ok: true, value: message.value }
          : { ok: false, error: message.error, instanceLost: false },
      );
    });
    const loseWith = (error: SerializedError) => {
      this.lost ??= error;
      const pending = this.pending;
      this.pending = undefined;
      pending?.settle({ ok: false, error: this.lost, instanceLost: true });
    };
    worker.on('error', (error) =>
      loseWith({
        errorType: 'Runtime.ExitError',
        errorMessage: `the runtime crashed: ${error.message}`,
        ...(error.stack ? { stack: error.stack } : {}),
      }),
    );
    worker.on('exit', (code) =>
      loseWith({ errorType: 'Runtime.ExitError', errorMessage: `the runtime exited with code ${code}` }),
    );
  }

  /** Starts a worker and runs the init phase; resolves with the instance or the init error. */
  static async start(settings: InstanceSettings): Promise<FunctionInstance | SerializedError> {
    const data: HostData = { entry: settings.fn.entry!, exportName: settings.fn.exportName };
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      env: { ...settings.env },
      workerData: data,
      execArgv: [],
      stdout: true,
      stderr: true,
    });
    pipeLines(worker.stdout, (line) => settings.onOutput('stdout', line));
    pipeLines(worker.stderr, (line) => settings.onOutput('stderr', line));
    return new Promise((resolve) => {
      const fail = (error: SerializedError) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        void worker.terminate();
        resolve(error);
      };
      const timer = setTimeout(
        () =>
          fail({
            errorType: 'Runtime.InitTimeout',
            errorMessage: `the init phase (importing ${settings.fn.entry}) took longer than ${settings.initTimeoutMs} ms`,
          }),
        settings.initTimeoutMs,
      );
      const onMessage = (message: HostMessage) => {
        if (message.type === 'init-error') fail(message.error);
        if (message.type !== 'ready') return;
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(new FunctionInstance(worker));
      };
      const onError = (error: Error) =>
        fail({
          errorType: 'Runtime.InitError',
          errorMessage: error.message,
          ...(error.stack ? { stack: error.stack } : {}),
        });
      const onExit = (code: number) =>
        fail({
          errorType: 'Runtime.ExitError',
          errorMessage: `the runtime exited with code ${code} during init`,
        });
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
    });
  }

  /** Whether the instance can take another invocation. */
  get usable(): boolean {
    return this.lost === undefined;
  }

  /**
   * Runs one invocation. Past `timeoutMs` the instance is terminated and the result is Lambda's
   * timeout error; a crash of the worker is a `Runtime.ExitError`. Never rejects.
   */
  invoke(event: unknown, context: ContextFields, timeoutMs: number): Promise<InstanceResult> {
    if (this.lost !== undefined) return Promise.resolve({ ok: false, error: this.lost, instanceLost: true });
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.lost = {
          errorType: 'Sandbox.Timedout',
          errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
        };
        const pending = this.pending;
        this.pending = undefined;
        void this.worker.terminate();
        pending?.settle({ ok: false, error: this.lost, instanceLost: true });
      }, timeoutMs);
      this.pending = {
        id,
        settle: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
      };
      const message: InvokeMessage = { type: 'invoke', id, event, context };
      this.worker.postMessage(message);
    });
  }

  /** Stops the worker (an invocation in flight ends as a crash). */
  async terminate(): Promise<void> {
    this.lost ??= { errorType: 'Runtime.ExitError', errorMessage: 'the runner stopped the function' };
    await this.worker.terminate();
  }
}

/** Calls `onLine` for each line written to `stream`. */
function pipeLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (rest + chunk).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  });
  stream.on('end', () => {
    if (rest !== '') onLine(rest);
  });
}
