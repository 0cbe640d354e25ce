import type { GroupingKey, PlanNode } from '../../plan/nodes.js';
import type { Row } from '../../types.js';
import { jsonReplacer } from './jsonl-format.js';

/**
 * The result table of an upsert log (update and complete modes): the newest row per key, in
 * the order keys first appeared (as the engine's `MemorySink.latestByKey`). `rows` must be in
 * batch order; within a batch a later row wins.
 */
export function latestRowPerKey(rows: readonly Row[], keyColumns: readonly string[]): Row[] {
  const latest = new Map<string, Row>();
  for (const row of rows) latest.set(canonicalKey(keyColumns.map((column) => row[column] ?? null)), row);
  return [...latest.values()];
}

/** JSON with object keys sorted, so `{start, end}` and `{end, start}` are the same key. */
function canonicalKey(value: unknown): string {
  return JSON.stringify(value, (key, inner: unknown) => {
    const plain = jsonReplacer(key, inner);
    if (typeof plain !== 'object' || plain === null || Array.isArray(plain)) return plain;
    const sorted: Record<string, unknown> = {};
    for (const name of Object.keys(plain).sort()) sorted[name] = (plain as Record<string, unknown>)[name];
    return sorted;
  });
}

/**
 * The output columns that identify a result row of a query, when the plan says: the grouping
 * columns of the aggregation at the top of the plan (`window` for a window key, `session_window`
 * for a session key), looking through filters and watermarks, and through selections that keep
 * them. `undefined` when the plan does not say (maps, flatMaps and groupsWithState functions
 * shape their own rows): give the sink `keyColumns` yourself then.
 *
 * @example keyColumnsOf(query.plan) // ['window', 'word'] for groupBy(window('ts', '1 minute'), 'word')
 */
export function keyColumnsOf(plan: PlanNode): string[] | undefined {
  let node: PlanNode = plan;
  const selections: (readonly string[])[] = [];
  for (;;) {
    if (node.kind === 'filter' || node.kind === 'watermark') node = node.child;
    else if (node.kind === 'select') {
      selections.push(node.columns);
      node = node.child;
    } else break;
  }
  if (node.kind !== 'aggregate') return undefined;
  const keys = node.keys.map(outputColumnOf);
  return selections.every((columns) => keys.every((key) => columns.includes(key))) ? keys : undefined;
}

function outputColumnOf(key: GroupingKey): string {
  if (key.kind === 'window') return 'window';
  if (key.kind === 'session') return 'session_window';
  return key.column;
}
