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
 * shape their own rows): give the sink `keyColumns` yourself then. Also `undefined` under a
 * `limit`: a row that left the first n stays in a newest-row-per-key table, so only each batch's
 * output (the log view of the newest batch) is the limited result.
 *
 * @example keyColumnsOf(query.plan) // ['window', 'word'] for groupBy(window('ts', '1 minute'), 'word')
 */
export function keyColumnsOf(plan: PlanNode): string[] | undefined {
  let node: PlanNode = plan;
  // Each projection above the aggregation, as a renaming of key columns: output name → input name.
  const renamings: ((column: string) => string | undefined)[] = [];
  for (;;) {
    if (node.kind === 'filter' || node.kind === 'where' || node.kind === 'watermark' || node.kind === 'sort')
      node = node.child;
    else if (node.kind === 'select') {
      const columns = node.columns;
      renamings.push((column) => (columns.includes(column) ? column : undefined));
      node = node.child;
    } else if (node.kind === 'project') {
      renamings.push(projectRenaming(node));
      node = node.child;
    } else break;
  }
  if (node.kind !== 'aggregate') return undefined;
  const keys = node.keys.map(outputColumnOf);
  // Follow each output column down to the aggregation; the keys must all come through (renamed or not).
  const outputs = new Map<string, string>(keys.map((key) => [key, key]));
  for (const rename of renamings.reverse()) {
    for (const [key, current] of outputs) {
      const next = rename(current);
      if (next === undefined) return undefined;
      outputs.set(key, next);
    }
  }
  return keys.map((key) => outputs.get(key)!);
}

/** Where a key column `column` goes through a projection: its output name, or undefined if dropped. */
function projectRenaming(
  node: Extract<PlanNode, { kind: 'project' }>,
): (column: string) => string | undefined {
  return (column) => {
    const renamed = node.columns.find((c) => c.expr.kind === 'column' && c.expr.name === column);
    if (renamed !== undefined) return renamed.name;
    const kept =
      node.keepInput && !node.drop.includes(column) && !node.columns.some((c) => c.name === column);
    return kept ? column : undefined;
  };
}

function outputColumnOf(key: GroupingKey): string {
  if (key.kind === 'window') return 'window';
  if (key.kind === 'session') return 'session_window';
  return key.column;
}
