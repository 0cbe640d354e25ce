import { InvalidQueryError } from '../../errors.js';
import { projectedEventTimeInput } from '../../plan/expressions/event-time-lineage.js';
import type { DedupNode, GroupingKey, PlanNode } from '../../plan/nodes.js';
import { partitionColumnBelow } from '../../plan/partition-column.js';
import type { CompileContext } from '../../runtime/compile.js';
import { watermarkedColumnsOf } from '../../runtime/watermarked-columns.js';
import { DedupExec, type DedupSpec } from './dedup-exec.js';

/** Compiles a `dedup` plan node into a {@link DedupExec} and registers it as stateful. */
export function compileDedup(node: DedupNode, ctx: CompileContext): DedupExec {
  const spec = {
    ...resolveDedupSpec(node, ctx.query.name),
    partitionColumn: partitionColumnBelow(node.child),
  };
  const child = ctx.compile(node.child);
  const operator = new DedupExec(child, ctx.nextStatefulId('dedup'), spec);
  ctx.registerStateful(operator);
  return operator;
}

/**
 * Finds the event-time column and expiry of a dedup, as Spark derives them from the child's
 * event-time column metadata:
 * - `dropDuplicates`: state expires at the key's event time only when a watermarked column is part
 *   of the key (the whole row includes every column); otherwise it is kept forever.
 * - `dropDuplicatesWithinWatermark`: the input must carry exactly one watermarked column; a key
 *   expires at the event time of its first row + that column's watermark delay.
 * Either way, late rows are judged on the input's watermarked column.
 *
 * @throws InvalidQueryError when `dropDuplicatesWithinWatermark` has no (or an ambiguous) watermark.
 */
export function resolveDedupSpec(node: DedupNode, queryName: string): DedupSpec {
  const watermarked = [...watermarkedColumnsOf(node.child)];
  if (!node.withinWatermark) {
    const keyed =
      node.columns.length === 0 ? watermarked : node.columns.filter((c) => watermarked.includes(c));
    const timeColumn = keyed[0] ?? watermarked[0];
    return {
      operatorName: 'dedupe',
      columns: node.columns,
      timeColumn,
      expiryDelayMs: keyed.length > 0 ? 0 : undefined,
    };
  }
  if (watermarked.length === 0) {
    throw new InvalidQueryError(
      'DEDUP_WITHIN_WATERMARK_WITHOUT_WATERMARK',
      `Query '${queryName}' uses dropDuplicatesWithinWatermark on a stream without a watermark: duplicates are only remembered for the watermark delay after their event time. Add withWatermark('<time column>', '<delay>') before dropDuplicatesWithinWatermark, or use dropDuplicates.`,
      { query: queryName },
    );
  }
  if (watermarked.length > 1) {
    throw new InvalidQueryError(
      'DEDUP_WITHIN_WATERMARK_MULTIPLE_EVENT_TIMES',
      `Query '${queryName}' uses dropDuplicatesWithinWatermark on rows with several watermarked columns (${watermarked.join(', ')}): its state expiry needs exactly one event-time column. Deduplicate each input before joining or unioning them, or select only one watermarked column.`,
      { query: queryName, columns: watermarked },
    );
  }
  const timeColumn = watermarked[0]!;
  const delayMs = watermarkDelayOf(node.child, timeColumn);
  if (delayMs === undefined) {
    throw new InvalidQueryError(
      'DEDUP_WITHIN_WATERMARK_WITHOUT_WATERMARK',
      `Query '${queryName}' uses dropDuplicatesWithinWatermark, but the delay of the watermark on '${timeColumn}' cannot be traced to a withWatermark in the plan. Add withWatermark('${timeColumn}', '<delay>') before dropDuplicatesWithinWatermark.`,
      { query: queryName, column: timeColumn },
    );
  }
  return { operatorName: 'dedupeWithinWatermark', columns: node.columns, timeColumn, expiryDelayMs: delayMs };
}

/**
 * The delay of the `withWatermark` that makes `column` watermarked in the rows leaving `node`:
 * the nearest one on the path down (a later `withWatermark` on the same column wins, as in Spark),
 * following a windowed aggregation's `window` / `session_window` back to its time column.
 */
export function watermarkDelayOf(node: PlanNode, column: string): number | undefined {
  switch (node.kind) {
    case 'watermark':
      return node.column === column ? node.delayMs : watermarkDelayOf(node.child, column);
    case 'source':
    case 'groupsWithState':
      return undefined;
    case 'select':
      return node.columns.includes(column) ? watermarkDelayOf(node.child, column) : undefined;
    case 'aggregate': {
      const key = node.keys.find((k) => outputColumnOf(k) === column);
      return key === undefined ? undefined : watermarkDelayOf(node.child, key.column);
    }
    case 'union':
      // Spark's union takes its output columns (and their metadata) from the first input.
      return node.children[0] && watermarkDelayOf(node.children[0], column);
    case 'streamJoin':
      return watermarkDelayOf(node.left, column) ?? watermarkDelayOf(node.right, column);
    case 'project': {
      const input = projectedEventTimeInput(node, column, watermarkedColumnsOf(node.child));
      return input === undefined ? undefined : watermarkDelayOf(node.child, input);
    }
    case 'map':
    case 'filter':
    case 'where':
    case 'flatMap':
    case 'dedup':
    case 'staticJoin':
    case 'sort':
    case 'limit':
      return watermarkDelayOf(node.child, column);
  }
}

function outputColumnOf(key: GroupingKey): string {
  return key.kind === 'window' ? 'window' : key.kind === 'session' ? 'session_window' : key.column;
}
