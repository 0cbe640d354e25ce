import type { WatermarkPolicy } from '../api/writer.js';
import type { WatermarkState } from '../checkpoint/checkpoint-store.js';
import type { EventTimeStats } from './operator.js';

export const INITIAL_WATERMARK: WatermarkState = { globalMs: 0, operatorsMs: {} };

/**
 * Spark's `WatermarkTracker.updateWatermark`, run after each batch:
 * - each `withWatermark` operator that saw rows moves to max(previous, max event time − delay);
 * - an operator that has never seen rows counts as 0, so with the `min` policy the global
 *   watermark waits until every input has data;
 * - the global watermark is the min (or max) of the operators' and never decreases.
 * The result is what the *next* batch runs with: a batch never sees its own event times.
 *
 * Restart (`runId` differs from the run that tracked `previous`): as Spark's tracker, which is
 * rebuilt from the offset log's global watermark only, the operators' watermarks start empty and
 * are rebuilt from new data; the global watermark carries over and still never decreases.
 */
export function advanceWatermark(
  previous: WatermarkState,
  watermarkIds: readonly string[],
  delaysMs: ReadonlyMap<string, number>,
  stats: ReadonlyMap<string, EventTimeStats>,
  policy: WatermarkPolicy,
  runId?: string,
): WatermarkState {
  if (watermarkIds.length === 0) return previous;
  const operatorsMs: Record<string, number> = previous.runId === runId ? { ...previous.operatorsMs } : {};
  for (const id of watermarkIds) {
    const seen = stats.get(id);
    if (seen === undefined || seen.count === 0) continue;
    const candidate = seen.max - (delaysMs.get(id) ?? 0);
    const before = operatorsMs[id];
    if (before === undefined || candidate > before) operatorsMs[id] = candidate;
  }
  const values = watermarkIds.map((id) => operatorsMs[id] ?? 0);
  const chosen = policy === 'min' ? Math.min(...values) : Math.max(...values);
  return {
    globalMs: Math.max(previous.globalMs, chosen),
    operatorsMs,
    ...(runId === undefined ? {} : { runId }),
  };
}
