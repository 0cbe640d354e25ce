import { referencedColumns } from './expressions/expression.js';
import type { PlanNode } from './nodes.js';

/**
 * Column pruning, as Spark's optimizer does it, within what closures allow: for each plan node,
 * the columns that whatever consumes its output reads — `undefined` when that is unknown (a
 * closure, the sink, an operator that passes whole rows on), in which case every column is kept.
 *
 * What each node needs from its child:
 * ```
 * source                    —
 * map / filter / flatMap    every column (a closure may read anything)
 * select(cols)              cols
 * where(condition)          what its consumer needs ∪ the columns the condition reads
 * project(columns)          the columns its expressions read, ∪ (with keepInput, as withColumn)
 *                           what its consumer needs of the columns it does not define
 * withWatermark(col)        what its consumer needs ∪ {col}
 * aggregate                 its grouping columns ∪ the columns its aggregates read (`reads`;
 *                           an aggregate without `reads` needs every column)
 * staticJoin(on)            what its consumer needs ∪ on
 * sort(orders) / limit      what its consumer needs (∪ the columns the sort keys read)
 * union                     what its consumer needs, from every child
 * dedup, groupsWithState,
 * streamJoin                every column (whole rows reach state or the output)
 * ```
 * The root's consumer is the sink: every column. A node read by several consumers gets the union.
 * Operators use this only to leave columns out of rows they build (the stream-static join's
 * output); a row that carries more than is needed is never wrong, only slower.
 */
export function requiredColumns(root: PlanNode): (node: PlanNode) => ReadonlySet<string> | undefined {
  const required = new Map<PlanNode, Set<string> | undefined>();
  const visit = (node: PlanNode, needed: Set<string> | undefined) => {
    if (required.has(node)) {
      const before = required.get(node);
      if (before === undefined) return;
      needed = needed === undefined ? undefined : new Set([...before, ...needed]);
    }
    required.set(node, needed);
    for (const [child, fromChild] of childNeeds(node, needed)) visit(child, fromChild);
  };
  visit(root, undefined);
  return (node) => required.get(node);
}

const ALL = undefined;

function childNeeds(
  node: PlanNode,
  needed: Set<string> | undefined,
): Array<[PlanNode, Set<string> | undefined]> {
  const plus = (columns: readonly string[]) =>
    needed === undefined ? ALL : new Set([...needed, ...columns]);
  switch (node.kind) {
    case 'source':
      return [];
    case 'map':
    case 'filter':
    case 'flatMap':
      return [[node.child, ALL]];
    case 'select':
      return [[node.child, new Set(node.columns)]];
    case 'where':
      return [[node.child, plus(referencedColumns(node.condition))]];
    case 'project': {
      const reads = node.columns.flatMap((column) => referencedColumns(column.expr));
      if (!node.keepInput) return [[node.child, new Set(reads)]];
      if (needed === undefined) return [[node.child, ALL]];
      const defined = new Set(node.columns.map((column) => column.name));
      return [[node.child, new Set([...[...needed].filter((c) => !defined.has(c)), ...reads])]];
    }
    case 'watermark':
      return [[node.child, plus([node.column])]];
    case 'aggregate': {
      const columns = new Set(node.keys.map((key) => key.column));
      for (const key of node.keys)
        if (key.kind === 'session' && key.gapColumn !== undefined) columns.add(key.gapColumn);
      for (const fn of Object.values(node.aggregates)) {
        if (fn.reads === undefined) return [[node.child, ALL]];
        for (const column of fn.reads) columns.add(column);
      }
      return [[node.child, columns]];
    }
    case 'staticJoin':
      return [[node.child, plus(node.on)]];
    case 'union':
      return node.children.map((child) => [child, needed === undefined ? ALL : new Set(needed)]);
    case 'dedup':
    case 'groupsWithState':
      return [[node.child, ALL]];
    case 'streamJoin':
      return [
        [node.left, ALL],
        [node.right, ALL],
      ];
    case 'sort':
      return [[node.child, plus(node.orders.flatMap((order) => referencedColumns(order.expr)))]];
    case 'limit':
      return [[node.child, needed === undefined ? ALL : new Set(needed)]];
  }
}
