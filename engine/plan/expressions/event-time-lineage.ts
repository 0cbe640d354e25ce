import type { ProjectNode } from '../nodes.js';
import { type Expression, unalias } from './expression.js';

/**
 * How a projection carries event-time (watermark) metadata, as Spark's attributes carry it:
 * an output column keeps its input column's watermark when it is that column (renamed or not),
 * a tumbling `window(ts, ...)` of it, or `window_time(w)` of a watermarked window. Any other
 * expression derives a new value (`ts + INTERVAL 1 MINUTE`, `date_trunc(...)`) and, as in Spark,
 * has no watermark.
 */

/** The input column whose watermark `expr` carries, if any. */
export function eventTimeSourceOf(expr: Expression, watermarked: ReadonlySet<string>): string | undefined {
  const e = unalias(expr);
  if (e.kind === 'column') return watermarked.has(e.name) ? e.name : undefined;
  if (e.kind === 'call' && (e.name === 'window' || e.name === 'window_time') && e.args[0] !== undefined)
    return eventTimeSourceOf(e.args[0], watermarked);
  return undefined;
}

/** The watermarked columns leaving a projection, given those entering it. */
export function projectedWatermarks(node: ProjectNode, inner: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  if (node.keepInput) for (const column of inner) if (!node.drop.includes(column)) out.add(column);
  for (const { name, expr } of node.columns) {
    if (eventTimeSourceOf(expr, inner) !== undefined) out.add(name);
    else out.delete(name);
  }
  return out;
}

/** The input column that output `column` of a projection takes its event time from, if any. */
export function projectedEventTimeInput(
  node: ProjectNode,
  column: string,
  inner: ReadonlySet<string>,
): string | undefined {
  const defined = node.columns.find((c) => c.name === column);
  if (defined !== undefined) return eventTimeSourceOf(defined.expr, inner);
  return node.keepInput && !node.drop.includes(column) && inner.has(column) ? column : undefined;
}
