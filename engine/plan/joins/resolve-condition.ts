import { ExpressionError } from '../expressions/errors.js';
import { type Expression, transformExpression } from '../expressions/expression.js';
import { sqlText } from '../expressions/sql-text.js';
import type { PlanNode } from '../nodes.js';
import type { JoinSideName } from './join-condition.js';

/**
 * Resolves the columns of a join condition to a side, as Spark's analyzer resolves attributes:
 * `a.id` by the side named `a` (a SQL alias or view name, `stream.alias('a')`, or the token of
 * `stream.col('id')`), and an unqualified `id` by the columns each side is known to have. Rows
 * have no schema, so what a side "has" is what its plan shows: selected and computed columns,
 * aggregation outputs, the watermarked and event-time columns; a side whose columns are all
 * known (after a `select`) owns none of the others. A column neither side can claim, or both can,
 * is an error asking to qualify it.
 */

/** The columns a plan's rows are known to have; `complete` when they have no others. */
export interface KnownColumns {
  readonly columns: ReadonlySet<string>;
  readonly complete: boolean;
}

export function knownColumnsOf(node: PlanNode): KnownColumns {
  const open = (columns: Iterable<string>): KnownColumns => ({ columns: new Set(columns), complete: false });
  switch (node.kind) {
    case 'source':
      return open([
        ...(node.eventTime === undefined ? [] : [node.eventTime]),
        ...(typeof node.partitionKey === 'string' ? [node.partitionKey] : []),
      ]);
    case 'watermark': {
      const inner = knownColumnsOf(node.child);
      return { columns: new Set([...inner.columns, node.column]), complete: inner.complete };
    }
    case 'select':
      return { columns: new Set(node.columns), complete: true };
    case 'project': {
      const names = node.columns.map((c) => c.name);
      if (!node.keepInput) return { columns: new Set(names), complete: true };
      const inner = knownColumnsOf(node.child);
      const kept = [...inner.columns].filter((c) => !node.drop.includes(c));
      return { columns: new Set([...kept, ...names]), complete: inner.complete };
    }
    case 'aggregate': {
      const keys = node.keys.map((key) =>
        key.kind === 'window' ? 'window' : key.kind === 'session' ? 'session_window' : key.column,
      );
      return { columns: new Set([...keys, ...Object.keys(node.aggregates)]), complete: true };
    }
    case 'where':
    case 'filter':
    case 'dedup':
    case 'sort':
    case 'limit':
      return knownColumnsOf(node.child);
    case 'staticJoin': {
      const inner = knownColumnsOf(node.child);
      const statics = node.rows.flatMap((row) => Object.keys(row));
      return { columns: new Set([...inner.columns, ...statics]), complete: false };
    }
    case 'streamJoin': {
      const l = knownColumnsOf(node.left);
      const r = knownColumnsOf(node.right);
      return { columns: new Set([...l.columns, ...r.columns]), complete: l.complete && r.complete };
    }
    case 'union':
      return node.children[0] === undefined ? open([]) : knownColumnsOf(node.children[0]);
    default:
      return open([]);
  }
}

/** What a join side is called and what columns it is known to have. */
export interface JoinSideNames {
  /** Qualifiers naming the side (case-sensitive, except SQL names which the caller lower-cases). */
  readonly names: ReadonlySet<string>;
  readonly known: KnownColumns;
}

/** Rewrites every column of `condition` to carry the qualifier `left` or `right`. */
export function resolveJoinCondition(
  condition: Expression,
  left: JoinSideNames,
  right: JoinSideNames,
): Expression {
  const text = sqlText(condition);
  const bySide = (qualifier: string): JoinSideName | undefined => {
    const l = left.names.has(qualifier);
    const r = right.names.has(qualifier);
    if (l && r)
      throw new ExpressionError(
        `Join condition ${text}: '${qualifier}' names both sides; give them different aliases (stream.alias('a'), FROM x a JOIN x b).`,
      );
    return l ? 'left' : r ? 'right' : undefined;
  };
  const byColumn = (name: string): JoinSideName => {
    const l = left.known.columns.has(name);
    const r = right.known.columns.has(name);
    if (l && !r) return 'left';
    if (r && !l) return 'right';
    if (!l && !r) {
      if (left.known.complete && !right.known.complete) return 'right';
      if (right.known.complete && !left.known.complete) return 'left';
    }
    throw new ExpressionError(
      `Join condition ${text}: column '${name}' ${l && r ? 'is on both sides' : 'cannot be told to belong to either side (rows have no schema)'}; qualify it with the side's name: alias the streams (left.alias('a'), then a.${name}) or use stream.col('${name}').`,
    );
  };
  const qualified = (side: JoinSideName, name: string): Expression => ({
    kind: 'column',
    name,
    qualifier: side,
  });
  return transformExpression(condition, (e) => {
    if (e.kind === 'column') {
      if (e.qualifier !== undefined) {
        const side = bySide(e.qualifier);
        if (side === undefined)
          throw new ExpressionError(
            `Join condition ${text}: unknown name '${e.qualifier}' in ${e.qualifier}.${e.name}; the sides are ${describe(left)} and ${describe(right)}.`,
          );
        return qualified(side, e.name);
      }
      const dot = e.name.indexOf('.');
      if (dot > 0) {
        const side = bySide(e.name.slice(0, dot));
        if (side !== undefined) return qualified(side, e.name.slice(dot + 1));
      }
      return qualified(byColumn(e.name), e.name);
    }
    // `expr("a.id")` parses as field `id` of a column `a` when `a` is not known as a qualifier.
    if (e.kind === 'field' && e.operand.kind === 'column' && e.operand.qualifier === undefined) {
      const side = bySide(e.operand.name);
      if (
        side !== undefined &&
        !left.known.columns.has(e.operand.name) &&
        !right.known.columns.has(e.operand.name)
      )
        return qualified(side, e.name);
    }
    return undefined;
  });
}

function describe(side: JoinSideNames): string {
  const names = [...side.names].filter((n) => !n.startsWith('#'));
  return names.length === 0 ? '(unnamed)' : names.map((n) => `'${n}'`).join(' / ');
}
