import { InvalidQueryError } from '../../errors.js';
import type { StaticJoinNode } from '../../plan/nodes.js';
import type { CompileContext } from '../../runtime/compile.js';
import type { OperatorContext, PhysicalOperator } from '../../runtime/operator.js';
import type { Row } from '../../types.js';
import { joinedRow, joinKeyOf } from './join-rows.js';

/**
 * Stream-static join (Spark's stream-static `join`: a broadcast/hash join per micro-batch). The
 * static rows are indexed by join key once, when the query is compiled, and the operator keeps
 * no state: each stream row is joined on its own, so replays give the same output.
 *
 * - `inner`: one output row `{...streamRow, ...staticRow}` per matching static row, in stream
 *   order and, within a stream row, in static order.
 * - `left_outer` (the stream is the left side): a stream row without a match is output at once
 *   as itself plus `null` for every non-key column seen in the static rows that it lacks. Its
 *   own values are never overwritten, so an outer row always carries the stream row intact.
 * - `right_outer` would need to know when no stream row can match any more; Spark rejects it
 *   with the stream on the left, and so does this operator.
 *
 * A stream row whose join key is `null`/missing matches nothing (SQL `=`). The static rows are
 * read when the query is compiled; changing them later has no effect on a running query.
 */
export class StaticJoinExec implements PhysicalOperator {
  /** Static rows by encoded join key, in their original order. */
  private readonly index = new Map<string, Row[]>();
  /** Non-key columns of the static side, in first-seen order: the nulls of an outer row. */
  private readonly nullColumns: readonly string[];

  constructor(
    private readonly child: PhysicalOperator,
    private readonly node: StaticJoinNode,
  ) {
    if (node.how === 'right_outer') {
      throw new InvalidQueryError(
        'STREAM_STATIC_JOIN_PRESERVES_STATIC_SIDE',
        'A right outer join of a stream with a static dataset is not supported (the stream is on the left): the static rows would wait forever for a match. Use an inner or left_outer join.',
        { on: node.on },
      );
    }
    const columns = new Set<string>();
    for (const row of node.rows) {
      for (const column of Object.keys(row)) if (!node.on.includes(column)) columns.add(column);
      const key = joinKeyOf(row, node.on);
      if (key === undefined) continue;
      const bucket = this.index.get(key);
      if (bucket === undefined) this.index.set(key, [row]);
      else bucket.push(row);
    }
    this.nullColumns = [...columns];
  }

  async execute(ctx: OperatorContext): Promise<Row[]> {
    const input = await this.child.execute(ctx);
    const output: Row[] = [];
    const outer = this.node.how === 'left_outer';
    for (const row of input) {
      const key = joinKeyOf(row, this.node.on);
      const matches = key === undefined ? undefined : this.index.get(key);
      if (matches !== undefined) for (const match of matches) output.push(joinedRow(row, match));
      else if (outer) output.push(this.nullPadded(row));
    }
    return output;
  }

  private nullPadded(row: Row): Row {
    const out: Row = { ...row };
    for (const column of this.nullColumns) if (!Object.hasOwn(out, column)) out[column] = null;
    return out;
  }
}

/** Compiles a `staticJoin` plan node (called from `compileExtension`). */
export function compileStaticJoin(node: StaticJoinNode, ctx: CompileContext): PhysicalOperator {
  return new StaticJoinExec(ctx.compile(node.child), node);
}
