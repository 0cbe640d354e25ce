import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { EmulatorExitedError } from './errors.js';
import type { EmulatorName } from './types.js';

/** How much of a child's stdout/stderr is kept for error messages. */
const OUTPUT_TAIL_CHARS = 4_000;

/**
 * Prepended to every child script: a child exits when its parent goes away (the IPC channel
 * closes), so a crashed test worker never leaves an emulator holding a port.
 */
const EXIT_WITH_PARENT = "process.on('disconnect', () => process.exit(0));\n";

/** How to start a Node child process that hosts an emulator. */
export interface NodeChildOptions {
  readonly name: EmulatorName;
  /** CommonJS source run by `node -e`; `process.send` reaches the parent. */
  readonly script: string;
  /** Node flags placed before `-e`, e.g. `--openssl-legacy-provider`. */
  readonly execArgv?: readonly string[];
  readonly env: NodeJS.ProcessEnv;
}

/** A running child process hosting an emulator. */
export interface NodeChild {
  readonly process: ChildProcess;
  /** Rejects with {@link EmulatorExitedError} if the child exits, or cannot spawn, before `stop()`. */
  readonly failed: Promise<never>;
  /** The first IPC message from the child; rejects like `failed` if the child dies first. */
  readonly firstMessage: Promise<unknown>;
  /** The last few thousand characters the child printed. */
  output(): string;
  /** Kills the child (SIGKILL: every emulator here keeps its data in memory or a temp dir) and waits for it. */
  stop(): Promise<void>;
}

/** Starts `node -e script` with an IPC channel and captured output. */
export function spawnNodeChild(options: NodeChildOptions): NodeChild {
  const child = spawn(
    process.execPath,
    [...(options.execArgv ?? []), '--input-type=commonjs', '-e', EXIT_WITH_PARENT + options.script],
    { env: options.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], windowsHide: true },
  );
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let stopping = false;
  const exited = once(child, 'exit').then(
    () => undefined,
    () => undefined, // 'error' (could not spawn): nothing to wait for.
  );
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => {
      if (!stopping)
        reject(new EmulatorExitedError(options.name, `could not spawn: ${error.message}`, tail, error));
    });
    // 'close' rather than 'exit': it comes after the output pipes drain, so the tail is complete.
    child.once('close', (code, signal) => {
      const detail = signal === null ? `exit code ${code}` : `signal ${signal}`;
      if (!stopping) reject(new EmulatorExitedError(options.name, detail, tail));
    });
  });
  failed.catch(() => {}); // Observed through `firstMessage` or readiness; never unhandled.
  const firstMessage = Promise.race([once(child, 'message').then(([message]) => message as unknown), failed]);
  firstMessage.catch(() => {});

  const killWithParent = () => child.kill('SIGKILL');
  process.once('exit', killWithParent);

  return {
    process: child,
    failed,
    firstMessage,
    output: () => tail,
    async stop() {
      stopping = true;
      process.off('exit', killWithParent);
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}

/** `NODE_OPTIONS` without `--openssl-legacy-provider`, for children that must not inherit it. */
export function withoutLegacyOpenSsl(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const nodeOptions = (env.NODE_OPTIONS ?? '')
    .split(/\s+/)
    .filter((flag) => flag !== '' && flag !== '--openssl-legacy-provider')
    .join(' ');
  const { NODE_OPTIONS: _dropped, ...rest } = env;
  return nodeOptions === '' ? rest : { ...rest, NODE_OPTIONS: nodeOptions };
}
