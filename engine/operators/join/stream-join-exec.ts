import type { StreamJoinNode } from '../../plan/nodes.js';
import { partitionColumnBelow, partitionKeyFromValue } from '../../plan/partition-column.js';
import type { CompileContext } from '../../runtime/compile.js';
import { eventTimeOf, INVALID_EVENT_TIME } from '../../runtime/event-time.js';
import type {
  NoDataBatchQuery,
  OperatorContext,
  PhysicalOperator,
  StatefulOperator,
} from '../../runtime/operator.js';
import type { StateEntry } from '../../state/state-store.js';
import type { Row } from '../../types.js';
import { joinedRow, joinKeyOf, timeBoundOf } from './join-rows.js';
import { type JoinSide, type JoinSideSpec, joinSideSpecs } from './join-sides.js';
import { JoinStateBuffer, type JoinStateValue, stateKeyOf } from './join-state.js';

/** An input row admitted to the join, with its encoded join key (`undefined`: a null key). */
interface Admitted {
  readonly row: Row;
  readonly key: string | undefined;
}

/**
 * Stream-stream equi-join, inner / left outer / right outer (Spark's
 * `StreamingSymmetricHashJoinExec` with `SymmetricHashJoinStateManager`). Both sides buffer their
 * rows in state, per join key, until the watermark proves they can no longer match.
 *
 * Per batch:
 * 1. Each side drops its late rows (its watermarked column ≤ the late-events watermark; counted
 *    in `numRowsDroppedByWatermark`) and rejects rows whose time-range column or expiry time is
 *    not epoch milliseconds (dead letters).
 * 2. The touched keys of both sides are loaded in one state read.
 * 3. Left input rows join the right state (previous batches only); then right input rows join
 *    the left state, which now includes this batch's left rows. So every pair meets exactly once.
 *    A pair matches when the keys are equal and, with a time range,
 *    `minMs ≤ right[rightColumn] - left[leftColumn] ≤ maxMs` (inclusive, as SQL `BETWEEN`).
 *    Every row that matches — input or stored — is marked `matched`, and every input row is
 *    buffered in its side's state.
 * 4. Rows that can no longer match are removed from each side (see `JoinSideSpec` for when), as
 *    Spark's state watermark predicates do; this includes rows of this batch that are already
 *    behind their side's state watermark, so they are never kept (they still met both sides'
 *    rows of this batch first — Spark skips buffering them before the right side runs and can miss
 *    those pairs). An expired row of the outer side that never matched is output null-padded: that
 *    is the only way an outer row appears, and a row that matched never yields one.
 *
 * Output order: matches in input order (left input, then right input; for one input row, the
 * other side's rows in arrival order), then expired outer rows by (expiry, key) and arrival order.
 *
 * Outer rows carry the preserved row's own columns only: rows are plain objects without a
 * schema, so the other side's column names are unknown; readers treat a missing column as null.
 * A row with a `null`/missing join key matches nothing (SQL `=`); on the outer side it is output
 * null-padded at once, since no watermark is needed to know it never matches.
 *
 * An inner join with neither a watermarked join key nor a time range over watermarked columns
 * keeps its state forever, as in Spark. Progress counts state keys (one per side and join key),
 * not buffered rows.
 */
export class StreamJoinExec implements StatefulOperator {
  readonly operatorName = 'symmetricHashJoin';
  private readonly left: JoinSideSpec;
  private readonly right: JoinSideSpec;
  /** Each side's partition-key column, if declared. */
  private readonly partitionColumns: readonly string[];
  private readonly leftPartitionColumn: string | undefined;
  private readonly rightPartitionColumn: string | undefined;

  constructor(
    private readonly leftChild: PhysicalOperator,
    private readonly rightChild: PhysicalOperator,
    readonly operatorId: string,
    private readonly node: StreamJoinNode,
    leftWatermarked: ReadonlySet<string>,
    rightWatermarked: ReadonlySet<string>,
  ) {
    const specs = joinSideSpecs(node, leftWatermarked, rightWatermarked);
    this.left = specs.left;
    this.right = specs.right;
    this.leftPartitionColumn = partitionColumnBelow(node.left);
    this.rightPartitionColumn = partitionColumnBelow(node.right);
    this.partitionColumns = [this.leftPartitionColumn, this.rightPartitionColumn].filter(
      (column): column is string => column !== undefined,
    );
  }

  /** Every buffered row of a key has the same join key, hence (by the checker's rule) the same partition key. */
  partitionKeyOf(entry: StateEntry): string | undefined {
    const row = (entry.value as JoinStateValue).rows[0]?.row;
    if (row === undefined) return undefined;
    for (const column of this.partitionColumns) {
      const key = partitionKeyFromValue(row[column]);
      if (key !== undefined) return key;
    }
    return undefined;
  }

  /** Whether state ever expires (a watermarked join key or a usable time range). */
  private get evicts(): boolean {
    return this.left.evicts || this.right.evicts;
  }

  needsNoDataBatch({ nextWatermarkMs, last }: NoDataBatchQuery): boolean {
    return this.evicts && nextWatermarkMs > last.watermarkForEvictionMs;
  }

  async execute(ctx: OperatorContext): Promise<Row[]> {
    // Sequential on purpose: stateful children must read state in a deterministic order.
    const leftInput = this.admit(await this.leftChild.execute(ctx), this.left, ctx);
    const rightInput = this.admit(await this.rightChild.execute(ctx), this.right, ctx);

    const state = ctx.state<JoinStateValue>(this.operatorId);
    const keys = new Set<string>();
    for (const { key } of [...leftInput, ...rightInput]) {
      if (key === undefined) continue;
      keys.add(stateKeyOf('left', key));
      keys.add(stateKeyOf('right', key));
    }
    await state.load(keys);

    const buffer = new JoinStateBuffer(state, (side) => this.spec(side));
    const output: Row[] = [];
    this.joinWithOtherSide(leftInput, this.left, buffer, output);
    this.joinWithOtherSide(rightInput, this.right, buffer, output);
    buffer.flush();
    if (this.evicts) for (const row of await buffer.evict(ctx.batch.watermarkForEvictionMs)) output.push(row);
    return output;
  }

  private spec(side: JoinSide): JoinSideSpec {
    return side === 'left' ? this.left : this.right;
  }

  /** Drops late rows, rejects rows without the times the join needs, and encodes join keys. */
  private admit(input: readonly Row[], spec: JoinSideSpec, ctx: OperatorContext): Admitted[] {
    const late = ctx.lateBounds;
    const partitionColumn = spec === this.left ? this.leftPartitionColumn : this.rightPartitionColumn;
    const counters = ctx.counters(this.operatorId);
    const admitted: Admitted[] = [];
    for (const row of input) {
      if (spec.lateColumn !== undefined) {
        const t = timeBoundOf(row[spec.lateColumn]);
        const bound =
          t === undefined
            ? undefined
            : late.of(partitionColumn === undefined ? undefined : row[partitionColumn]);
        if (t !== undefined && bound !== undefined && t <= bound) {
          counters.numRowsDroppedByWatermark++;
          ctx.dropLate?.(row, this.operatorId, t, bound);
          continue;
        }
      }
      if (spec.timeColumn !== undefined && eventTimeOf(row[spec.timeColumn]) === undefined) {
        ctx.reject(row, this.operatorId, `${INVALID_EVENT_TIME} (column '${spec.timeColumn}')`);
        continue;
      }
      const key = joinKeyOf(row, this.node.on);
      if (key !== undefined && spec.evicts && spec.evictAt(row) === undefined) {
        ctx.reject(row, this.operatorId, `${INVALID_EVENT_TIME} (join key ${key})`);
        continue;
      }
      admitted.push({ row, key });
    }
    return admitted;
  }

  /** Joins one side's input with the other side's buffered rows and buffers the input. */
  private joinWithOtherSide(
    input: readonly Admitted[],
    own: JoinSideSpec,
    buffer: JoinStateBuffer,
    output: Row[],
  ): void {
    const otherSide: JoinSide = own.side === 'left' ? 'right' : 'left';
    for (const { row, key } of input) {
      if (key === undefined) {
        if (own.preserved) output.push({ ...row });
        continue;
      }
      const otherKey = stateKeyOf(otherSide, key);
      let matched = false;
      for (const stored of buffer.rows(otherKey)) {
        const left = own.side === 'left' ? row : stored.row;
        const right = own.side === 'left' ? stored.row : row;
        if (!this.inTimeRange(left, right)) continue;
        output.push(joinedRow(left, right));
        buffer.markMatched(otherKey, stored);
        matched = true;
      }
      buffer.append(stateKeyOf(own.side, key), row, matched);
    }
  }

  private inTimeRange(left: Row, right: Row): boolean {
    const range = this.node.timeRange;
    if (range === undefined) return true;
    const gap = eventTimeOf(right[range.rightColumn])! - eventTimeOf(left[range.leftColumn])!;
    return gap >= range.minMs && gap <= range.maxMs;
  }
}

/**
 * Compiles a `streamJoin` plan node (called from `compileExtension`): children first, so state
 * ids follow plan post-order, then the operator, registered as stateful.
 */
export function compileStreamJoin(node: StreamJoinNode, ctx: CompileContext): PhysicalOperator {
  const left = ctx.compile(node.left);
  const right = ctx.compile(node.right);
  const operator = new StreamJoinExec(
    left,
    right,
    ctx.nextStatefulId('join'),
    node,
    ctx.watermarkedColumns(node.left),
    ctx.watermarkedColumns(node.right),
  );
  ctx.registerStateful(operator);
  return operator;
}
