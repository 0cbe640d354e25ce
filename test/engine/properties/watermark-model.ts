/**
 * An independent, deliberately naive model of Spark's watermark rules for a windowed
 * aggregation, written from DESIGN.md ("Semantics that must match Spark") rather than from the
 * engine. It imports no engine code: property tests compare the engine against it.
 *
 * The rules it encodes:
 * - the watermark starts at 0; after each batch it becomes max(previous, max event time of the
 *   batch's rows − delay) (late rows count too: the watermark operator sees every row);
 * - a batch evicts with the watermark computed before it ran, and judges lateness against the
 *   watermark the *previous batch* ran with;
 * - a (row, window) pair is dropped when the window's end ≤ the late watermark (each sliding
 *   window on its own);
 * - append emits a window once, in the first batch whose watermark is ≥ its end; update emits
 *   every window that received rows in the batch, then evicts closed windows silently;
 * - one `processAllAvailable` runs one batch per added chunk, then, once no data is left, a
 *   no-data batch if the watermark moved past the one the last batch ran with.
 */

/** A tumbling (`slideMs === durationMs`) or sliding window, aligned to the epoch + `startMs`. */
export interface ModelWindow {
  readonly durationMs: number;
  readonly slideMs: number;
  readonly startMs: number;
}

/** What the model needs of a row. */
export interface ModelRow {
  readonly key: string;
  readonly ts: number;
}

/** A window × key group and every row it accepted so far. */
export interface ModelGroup<T extends ModelRow> {
  readonly start: number;
  readonly key: string;
  readonly rows: readonly T[];
}

/** The model's prediction for one batch. */
export interface ModelBatch<T extends ModelRow> {
  readonly isNoDataBatch: boolean;
  readonly lateWatermarkMs: number;
  readonly watermarkMs: number;
  /** (row, window) pairs dropped as late in this batch (sluice's `numLateInputRows`). */
  readonly droppedPairs: number;
  /** Distinct (window, key) groups among them (Spark's `numRowsDroppedByWatermark`). */
  readonly droppedGroups: number;
  /** Append mode output: the groups that closed in this batch. */
  readonly appendOutput: readonly ModelGroup<T>[];
  /** Update mode output: the groups that received rows in this batch, with all their rows so far. */
  readonly updateOutput: readonly ModelGroup<T>[];
}

/** Every window start whose `[start, start + duration)` contains `t`, written without the engine's helper. */
export function windowStartsContaining(t: number, window: ModelWindow): number[] {
  const starts: number[] = [];
  const latest = Math.floor((t - window.startMs) / window.slideMs) * window.slideMs + window.startMs;
  for (let start = latest; start + window.durationMs > t; start -= window.slideMs) starts.push(start);
  return starts;
}

/**
 * Predicts the batches of a run in which each element of `triggers` is a list of chunks added
 * before one `processAllAvailable` call (each chunk one `addData`).
 */
export function simulateWatermark<T extends ModelRow>(
  triggers: readonly (readonly (readonly T[])[])[],
  window: ModelWindow,
  delayMs: number,
): ModelBatch<T>[] {
  const open = new Map<string, { start: number; key: string; rows: T[] }>();
  const batches: ModelBatch<T>[] = [];
  let watermark = 0;
  let lastBatchWatermark = 0;

  const runBatch = (rows: readonly T[], isNoDataBatch: boolean) => {
    const late = lastBatchWatermark;
    const current = watermark;
    let droppedPairs = 0;
    const droppedGroups = new Set<string>();
    const touched = new Map<string, { start: number; key: string; rows: T[] }>();
    for (const row of rows) {
      for (const start of windowStartsContaining(row.ts, window)) {
        if (start + window.durationMs <= late) {
          droppedPairs++;
          droppedGroups.add(`${start}|${row.key}`);
          continue;
        }
        const id = `${start}|${row.key}`;
        let group = open.get(id);
        if (group === undefined) {
          group = { start, key: row.key, rows: [] };
          open.set(id, group);
        }
        group.rows.push(row);
        touched.set(id, group);
      }
    }
    const snapshot = (group: { start: number; key: string; rows: T[] }): ModelGroup<T> => ({
      start: group.start,
      key: group.key,
      rows: group.rows.slice(),
    });
    const updateOutput = [...touched.values()].map(snapshot);
    const appendOutput: ModelGroup<T>[] = [];
    for (const [id, group] of open) {
      if (group.start + window.durationMs <= current) {
        appendOutput.push(snapshot(group));
        open.delete(id);
      }
    }
    batches.push({
      isNoDataBatch,
      lateWatermarkMs: late,
      watermarkMs: current,
      droppedPairs,
      droppedGroups: droppedGroups.size,
      appendOutput,
      updateOutput,
    });
    lastBatchWatermark = current;
    for (const row of rows) watermark = Math.max(watermark, row.ts - delayMs);
  };

  for (const chunks of triggers) {
    for (const chunk of chunks) runBatch(chunk, false);
    if (watermark > lastBatchWatermark) runBatch([], true);
  }
  return batches;
}
