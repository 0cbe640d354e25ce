import type { KinesisEngine } from '../../local/emulators/index.js';
import { LocalStackRunningError } from '../errors.js';
import {
  isProcessAlive,
  localStateFile,
  readLocalState,
  removeLocalState,
  writeLocalState,
} from '../target/local-state.js';
import { localTarget } from '../target/resolve.js';
import { liveView } from '../view/live-view.js';
import { ProgressBoard } from '../view/progress-board.js';
import { startRefreshLoop } from '../view/refresh-loop.js';
import { startLocalStack } from './local-stack.js';

/** Options of {@link runLocal}. */
export interface RunLocalOptions {
  readonly projectRoot: string;
  readonly app?: string;
  readonly stack?: string;
  readonly kinesis?: KinesisEngine;
  /** Print every line the functions print. */
  readonly verbose?: boolean;
  /** Started by `local up`: plain lines only, every 10 s. */
  readonly background?: boolean;
}

/** How often the view reads checkpoints and lag. */
const REFRESH_MS = 1_000;

/**
 * `sluice local run`: starts the local stack, records it in `.sluice/local.json`, shows the live
 * view per query and shard until SIGINT or SIGTERM, then stops the runner and the emulators and
 * removes the state file. `local up` runs this in a background process.
 */
export async function runLocal(options: RunLocalOptions): Promise<void> {
  const path = localStateFile();
  const existing = await readLocalState(path);
  if (existing !== undefined && existing.pid !== process.pid && isProcessAlive(existing.pid)) {
    throw new LocalStackRunningError(existing.pid);
  }
  const out = process.stdout;
  let board: ProgressBoard | undefined;
  let view: ReturnType<typeof liveView> | undefined;
  const stack = await startLocalStack({
    projectRoot: options.projectRoot,
    ...(options.app === undefined ? {} : { app: options.app }),
    ...(options.stack === undefined ? {} : { stack: options.stack }),
    ...(options.kinesis === undefined ? {} : { kinesis: options.kinesis }),
    runner: {
      onLog: ({ function: fn, line }) => {
        const progress = board?.onLogLine(line);
        if (options.verbose === true) view?.log(`${fn}: ${line}`);
        else if (progress === undefined && /"level":"(ERROR|CRITICAL)"/.test(line))
          view?.log(`${fn}: ${line}`);
      },
    },
  });
  const target = localTarget(stack.state);
  board = new ProgressBoard(target.knownQueries);
  await writeLocalState(stack.state, path);
  out.write(
    `local stack ready in ${(stack.timings.totalMs / 1000).toFixed(1)} s (pid ${process.pid}; ${path}):\n${stack.state.queries
      .map(
        (query) =>
          `  ${query.name} ← stream ${query.stream}${query.sources.length > 0 ? ` (push to ${query.sources.join(', ')})` : ''}`,
      )
      .join(
        '\n',
      )}\n${options.background === true ? 'stop it with `sluice local down`' : 'Ctrl-C stops it'}\n`,
  );
  view = liveView(board, out, options.background === true ? 10_000 : 2_000);

  const refresh = startRefreshLoop(board, target, view, REFRESH_MS);

  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await refresh.stop();
  view.stop();
  out.write('stopping the local stack…\n');
  target.close();
  try {
    await stack.stop();
  } finally {
    const current = await readLocalState(path).catch(() => undefined);
    if (current?.pid === process.pid) await removeLocalState(path);
  }
  out.write('local stack stopped\n');
}
