import type { Target } from '../target/target.js';
import type { LiveView } from './live-view.js';
import type { ProgressBoard } from './progress-board.js';

/** A running refresh loop; `stop()` waits for a refresh in progress, then does a last one. */
export interface RefreshLoop {
  stop(): Promise<void>;
}

/**
 * Refreshes the board from the target (checkpoints and lag) and redraws the view every
 * `intervalMs`, never two refreshes at once (a slow emulator must not pile them up). A failing
 * refresh is reported once on the view and retried on the next tick.
 */
export function startRefreshLoop(
  board: ProgressBoard,
  target: Target,
  view: LiveView,
  intervalMs = 1_000,
): RefreshLoop {
  let running: Promise<void> | undefined;
  let reported = false;
  const refresh = () => {
    running ??= board
      .refresh(target)
      .then(
        () => {
          reported = false;
          view.update();
        },
        (error: unknown) => {
          if (!reported)
            view.log(`(progress refresh failed, retrying: ${(error as Error).message.split('\n')[0]})`);
          reported = true;
        },
      )
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => void refresh(), intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await refresh();
    },
  };
}
