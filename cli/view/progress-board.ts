import { lateInputRowsOf, type QueryProgress } from '../../engine/runtime/progress.js';
import { readQueryStatus } from '../status/query-status.js';
import type { QueryLocation, Target } from '../target/target.js';

/** One query shard on the live view. */
export interface ShardLine {
  readonly query: string;
  readonly shard: string;
  /** Batches committed since the view started (no-data batches included). */
  batches: number;
  /** Input rows of those batches. */
  rows: number;
  deadLetters: number;
  /** Input rows dropped as late by the watermark (the rows `_late/` holds). */
  late: number;
  /** Rows per second of the last batch with input. */
  rowsPerSecond: number;
  /** The committed watermark (epoch ms; 0 before any). */
  watermarkMs: number;
  /** Data records in the shard not yet committed; `undefined` until first measured. */
  lag: number | undefined;
}

/**
 * The numbers behind the live progress view, per query and shard: batch counts, rows, dead
 * letters and late rows from the functions' `batch committed` log lines (each carries the batch's
 * progress record), and watermark and lag from the checkpoints and the stream (refreshed by
 * {@link ProgressBoard.refresh}).
 */
export class ProgressBoard {
  private readonly lines = new Map<string, ShardLine>();

  constructor(private readonly queries: readonly QueryLocation[]) {}

  /** Feeds one line a function printed; lines other than `batch committed` are ignored. */
  onLogLine(line: string): QueryProgress | undefined {
    if (!line.includes('batch committed')) return undefined;
    let parsed: { message?: unknown; progress?: QueryProgress };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      return undefined;
    }
    const progress = parsed.progress;
    if (parsed.message !== 'batch committed' || progress === undefined) return undefined;
    this.record(progress);
    return progress;
  }

  /** Counts one batch's progress record. */
  record(progress: QueryProgress): void {
    const line = this.line(progress.name, progress.partition);
    line.batches += 1;
    line.rows += progress.numInputRows;
    line.deadLetters += progress.numDeadLetters;
    line.late += progress.stateOperators.reduce((sum, op) => sum + lateInputRowsOf(op), 0);
    if (!progress.isNoDataBatch && progress.numInputRows > 0)
      line.rowsPerSecond = progress.processedRowsPerSecond;
  }

  /** Reads each query's checkpoints and lag (not its progress objects: the log lines carry those). */
  async refresh(target: Target): Promise<void> {
    const statuses = await Promise.all(
      this.queries.map((query) => readQueryStatus(target, query, { progress: false })),
    );
    // A two-stage query's stages are lines of their own (stage 1 under `<query>.stage-1`).
    for (const status of statuses.flatMap((one) => one.stages ?? [one])) {
      for (const shard of status.shards) {
        const line = this.line(status.query, shard.shard);
        line.watermarkMs = shard.checkpoint?.committed?.watermarkMs ?? line.watermarkMs;
        if (shard.lag !== undefined) line.lag = shard.lag.records;
      }
    }
  }

  /** Every shard seen so far, by query then shard. */
  snapshot(): ShardLine[] {
    return [...this.lines.values()].sort(
      (a, b) => a.query.localeCompare(b.query) || a.shard.localeCompare(b.shard),
    );
  }

  private line(query: string, shard: string): ShardLine {
    const id = `${query}\u0000${shard}`;
    let line = this.lines.get(id);
    if (line === undefined) {
      line = {
        query,
        shard,
        batches: 0,
        rows: 0,
        deadLetters: 0,
        late: 0,
        rowsPerSecond: 0,
        watermarkMs: 0,
        lag: undefined,
      };
      this.lines.set(id, line);
    }
    return line;
  }
}
