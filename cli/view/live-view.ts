import cliProgress from 'cli-progress';
import type { ProgressBoard, ShardLine } from './progress-board.js';

/** A display of a {@link ProgressBoard}: bars on a terminal, periodic plain lines otherwise. */
export interface LiveView {
  /** Redraws from the board's current numbers. */
  update(): void;
  /** Prints a message above the view without breaking it. */
  log(message: string): void;
  /** Final redraw; leaves the last state on screen. */
  stop(): void;
}

/** `shardId-000000000003` → `3`; other ids as they are. */
function shortShard(shard: string): string {
  const match = /^shardId-0*(\d+)$/.exec(shard);
  return match === null ? shard : match[1]!;
}

function watermarkText(ms: number): string {
  return ms <= 0 ? '—' : new Date(ms).toISOString().slice(11, 19);
}

/** `page-views shardId-000000000000: 12 batches, 480 rows, 2400 rows/s, watermark 10:04:00, lag 0, 1 dead letter` */
export function describeShard(line: ShardLine): string {
  return (
    `${line.query} ${line.shard}: ${line.batches} batches, ${line.rows} rows, ${Math.round(line.rowsPerSecond)} rows/s, ` +
    `watermark ${watermarkText(line.watermarkMs)}, lag ${line.lag ?? '?'}, ${line.deadLetters} dead letter${line.deadLetters === 1 ? '' : 's'}` +
    `${line.late > 0 ? `, ${line.late} late` : ''}`
  );
}

/**
 * Shows the board on `stream`: with `cli-progress` bars per query and shard when it is a terminal
 * (the bar fills as committed rows catch up with the stream: rows / (rows + lag)), or, when it is
 * not, plain lines for the shards that changed, at most every `intervalMs`.
 */
export function liveView(
  board: ProgressBoard,
  stream: NodeJS.WriteStream = process.stdout,
  intervalMs = 2_000,
): LiveView {
  return stream.isTTY === true ? barView(board, stream) : lineView(board, stream, intervalMs);
}

function barView(board: ProgressBoard, stream: NodeJS.WriteStream): LiveView {
  const multibar = new cliProgress.MultiBar(
    {
      stream,
      format:
        '{label} [{bar}] {batches} batches, {rows} rows, {rate}/s, wm {watermark}, lag {lag}, {dead} dead',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 8,
      fps: 5,
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  const label = (line: ShardLine) => `${line.query}/${shortShard(line.shard)}`;
  const width = () => Math.max(0, ...board.snapshot().map((line) => label(line).length));
  const update = () => {
    const labelWidth = width();
    for (const line of board.snapshot()) {
      const id = `${line.query} ${line.shard}`;
      const payload = {
        label: label(line).padEnd(labelWidth),
        batches: line.batches,
        rows: line.rows,
        rate: Math.round(line.rowsPerSecond),
        watermark: watermarkText(line.watermarkMs),
        lag: line.lag ?? '?',
        dead: line.deadLetters,
      };
      const total = Math.max(1, line.rows + (line.lag ?? 0));
      let bar = bars.get(id);
      if (bar === undefined) {
        bar = multibar.create(total, line.rows, payload);
        bars.set(id, bar);
      } else {
        bar.setTotal(total);
        bar.update(line.rows, payload);
      }
    }
  };
  return {
    update,
    log: (message) => multibar.log(`${message}\n`),
    stop() {
      update();
      multibar.stop();
    },
  };
}

function lineView(board: ProgressBoard, stream: NodeJS.WriteStream, intervalMs: number): LiveView {
  const started = performance.now();
  const printed = new Map<string, string>();
  let lastPrint = Number.NEGATIVE_INFINITY;
  const print = (force: boolean) => {
    const now = performance.now();
    if (!force && now - lastPrint < intervalMs) return;
    lastPrint = now;
    const seconds = ((now - started) / 1000).toFixed(1).padStart(5);
    for (const line of board.snapshot()) {
      const text = describeShard(line);
      const id = `${line.query} ${line.shard}`;
      if (printed.get(id) === text) continue;
      printed.set(id, text);
      stream.write(`[${seconds} s] ${text}\n`);
    }
  };
  return {
    update: () => print(false),
    log: (message) => stream.write(`${message}\n`),
    stop: () => print(true),
  };
}
