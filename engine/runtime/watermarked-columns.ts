import { projectedWatermarks } from '../plan/expressions/event-time-lineage.js';
import type { PlanNode } from '../plan/nodes.js';

/**
 * Columns that carry a watermark in the rows leaving `node`, as Spark tracks event-time
 * metadata through a plan. Maps keep the column by name (TypeScript rows have no attribute
 * metadata, so a map that keeps the field keeps the event time); a projection by expressions keeps
 * it through renames and windows (`event-time-lineage.ts`); a windowed aggregation turns
 * the watermark into its `window` / `session_window` column; arbitrary stateful functions end it.
 */
export function watermarkedColumnsOf(node: PlanNode): ReadonlySet<string> {
  switch (node.kind) {
    case 'source':
      return new Set();
    case 'watermark':
      return new Set([...watermarkedColumnsOf(node.child), node.column]);
    case 'project':
      return projectedWatermarks(node, watermarkedColumnsOf(node.child));
    case 'map':
    case 'where':
    case 'filter':
    case 'flatMap':
    case 'dedup':
    case 'staticJoin':
    case 'sort':
    case 'limit':
      return watermarkedColumnsOf(node.child);
    case 'select': {
      const inner = watermarkedColumnsOf(node.child);
      return new Set(node.columns.filter((column) => inner.has(column)));
    }
    case 'aggregate': {
      const inner = watermarkedColumnsOf(node.child);
      const out = new Set<string>();
      for (const key of node.keys) {
        if (!inner.has(key.column)) continue;
        out.add(key.kind === 'window' ? 'window' : key.kind === 'session' ? 'session_window' : key.column);
      }
      return out;
    }
    case 'groupsWithState':
      return new Set();
    case 'streamJoin':
      return new Set([...watermarkedColumnsOf(node.left), ...watermarkedColumnsOf(node.right)]);
    case 'union': {
      const sets = node.children.map(watermarkedColumnsOf);
      return new Set([...(sets[0] ?? [])].filter((column) => sets.every((set) => set.has(column))));
    }
  }
}
