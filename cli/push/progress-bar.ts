import cliProgress from 'cli-progress';
import type { PushStats } from './record-pusher.js';

/** The push progress display: a bar on a terminal, nothing otherwise (the summary still prints). */
export interface PushProgress {
  update(bytesRead: number, stats: Readonly<PushStats>): void;
  stop(): void;
}

/**
 * A progress bar on `stream` (standard error by default) when it is a terminal: bytes of the file
 * read (or records pushed from standard input), records pushed, retries, records per second.
 */
export function pushProgress(
  totalBytes: number | undefined,
  stream: NodeJS.WriteStream = process.stderr,
): PushProgress {
  if (stream.isTTY !== true) return { update() {}, stop() {} };
  const started = performance.now();
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        totalBytes === undefined
          ? 'pushing {pushed} records | {retried} retried | {rate} records/s'
          : 'pushing [{bar}] {percentage}% | {pushed} records | {retried} retried | {rate} records/s',
      hideCursor: true,
      clearOnComplete: true,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(totalBytes ?? 1, 0, { pushed: 0, retried: 0, rate: 0 });
  return {
    update(bytesRead, stats) {
      const seconds = (performance.now() - started) / 1000;
      bar.update(totalBytes === undefined ? 0 : Math.min(bytesRead, totalBytes), {
        pushed: stats.pushed,
        retried: stats.retried,
        rate: seconds > 0 ? Math.round(stats.pushed / seconds) : 0,
      });
    },
    stop() {
      bar.stop();
    },
  };
}
