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
 * - `left_semi` / `left_anti`: the stream row as it is, once, when some static row matches /
 *   when none does.
 * - `right_outer` and `full_outer` would need to know when no stream row can match any more;
 *   Spark rejects them with the stream on the left, and so does this operator.
 *
 * A stream row whose join key is `null`/missing matches nothing (SQL `=`). The static rows are
 * read when the query is compiled; changing them later has no effect on a running query.
 */
export class StaticJoinExec implements PhysicalOperator {
  /** Static rows by join key, in their original order (see {@link StaticKeyIndex}). */
  private readonly index = new StaticKeyIndex();
  /** Non-key columns of the static side, in first-seen order: the nulls of an outer row. */
  private readonly nullColumns: readonly string[];
  /** The columns the output rows need (column pruning), or `undefined` to keep every column. */
  private readonly keep: readonly string[] | undefined;

  constructor(
    private readonly child: PhysicalOperator,
    private readonly node: StaticJoinNode,
    required?: ReadonlySet<string>,
  ) {
    if (node.how === 'right_outer' || node.how === 'full_outer') {
      throw new InvalidQueryError(
        'STREAM_STATIC_JOIN_PRESERVES_STATIC_SIDE',
        'A right outer join of a stream with a static dataset is not supported (the stream is on the left): the static rows would wait forever for a match. Use an inner or left_outer join.',
        { on: node.on },
      );
    }
    const columns = new Set<string>();
    for (const row of node.rows) {
      for (const column of Object.keys(row)) if (!node.on.includes(column)) columns.add(column);
      this.index.add(row, node.on);
    }
    this.keep = required === undefined ? undefined : [...required];
    this.nullColumns = [...columns].filter((column) => required === undefined || required.has(column));
  }

  async execute(ctx: OperatorContext): Promise<Row[]> {
    const input = await this.child.execute(ctx);
    const output: Row[] = [];
    const how = this.node.how;
    const outer = how === 'left_outer';
    const keep = this.keep;
    for (const row of input) {
      const matches = this.index.matches(row, this.node.on);
      if (how === 'left_semi' || how === 'left_anti') {
        // Semi: the stream row once if some static row matches; anti: only if none does.
        if ((matches !== undefined) === (how === 'left_semi'))
          output.push(keep === undefined ? row : prunedRow(row, undefined, keep));
        continue;
      }
      if (matches !== undefined) {
        for (const match of matches)
          output.push(keep === undefined ? joinedRow(row, match) : prunedRow(row, match, keep));
      } else if (outer)
        output.push(this.nullPadded(keep === undefined ? { ...row } : prunedRow(row, undefined, keep)));
    }
    return output;
  }

  private nullPadded(out: Row): Row {
    for (const column of this.nullColumns) if (!Object.hasOwn(out, column)) out[column] = null;
    return out;
  }
}

/**
 * The joined row restricted to `keep`: each kept column from the static side if it has it (as in
 * {@link joinedRow}, the right side wins), else from the stream row; absent on both, absent here.
 */
function prunedRow(left: Row, right: Row | undefined, keep: readonly string[]): Row {
  const out: Row = {};
  for (const column of keep) {
    if (right !== undefined && Object.hasOwn(right, column)) out[column] = right[column];
    else if (Object.hasOwn(left, column)) out[column] = left[column];
  }
  return out;
}

/**
 * Static rows by join key. A single-column key whose value is a string, number or boolean is
 * looked up by the value itself (a Map keeps `1`, `"1"` and `true` apart, as the JSON encoding
 * does) — no string built per stream row; other keys go through {@link joinKeyOf}'s encoding,
 * in a map of their own so the two kinds can never collide.
 */
class StaticKeyIndex {
  private readonly byValue = new Map<string | number | boolean, Row[]>();
  private readonly byEncoding = new Map<string, Row[]>();

  add(row: Row, on: readonly string[]): void {
    const direct = directKey(row, on);
    if (direct !== undefined) {
      push(this.byValue, direct, row);
      return;
    }
    const key = joinKeyOf(row, on);
    if (key !== undefined) push(this.byEncoding, key, row);
  }

  matches(row: Row, on: readonly string[]): Row[] | undefined {
    const direct = directKey(row, on);
    if (direct !== undefined) return this.byValue.get(direct);
    const key = joinKeyOf(row, on);
    return key === undefined ? undefined : this.byEncoding.get(key);
  }
}

function directKey(row: Row, on: readonly string[]): string | number | boolean | undefined {
  if (on.length !== 1) return undefined;
  const value = row[on[0]!];
  const type = typeof value;
  return type === 'string' || type === 'boolean' || (type === 'number' && !Number.isNaN(value))
    ? (value as string | number | boolean)
    : undefined;
}

function push<K>(map: Map<K, Row[]>, key: K, row: Row): void {
  const bucket = map.get(key);
  if (bucket === undefined) map.set(key, [row]);
  else bucket.push(row);
}

/** Compiles a `staticJoin` plan node (called from `compileExtension`). */
export function compileStaticJoin(node: StaticJoinNode, ctx: CompileContext): PhysicalOperator {
  return new StaticJoinExec(ctx.compile(node.child), node, ctx.requiredColumns(node));
}
