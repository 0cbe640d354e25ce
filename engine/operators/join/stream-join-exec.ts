import { compilePredicate } from '../../plan/expressions/compile-expression.js';
import { analyzeStreamJoin } from '../../plan/joins/analyze-join.js';
import type { StreamJoinNode } from '../../plan/nodes.js';
import { partitionColumnBelow, partitionKeyFromValue } from '../../plan/partition-column.js';
import type { CompileContext } from '../../runtime/compile.js';
import { INVALID_EVENT_TIME } from '../../runtime/event-time.js';
import type {
  NoDataBatchQuery,
  OperatorContext,
  PhysicalOperator,
  StatefulOperator,
} from '../../runtime/operator.js';
import type { StateEntry } from '../../state/state-store.js';
import type { Row } from '../../types.js';
import { joinedRow, timeBoundOf } from './join-rows.js';
import { type JoinSide, type JoinSideSpec, joinSideSpecs } from './join-sides.js';
import { JoinStateBuffer, type JoinStateValue, stateKeyOf } from './join-state.js';

/** An input row admitted to the join: its encoded join key, or `undefined` when it can never match. */
interface Admitted {
  readonly row: Row;
  readonly key: string | undefined;
}

/** Reads a join condition's `left.` / `right.` columns from a pair of rows. */
interface Pair extends Row {
  l: Row;
  r: Row;
}

/**
 * Stream-stream join: inner, left/right/full outer and left semi (Spark's
 * `StreamingSymmetricHashJoinExec` with `SymmetricHashJoinStateManager`, state format 2). Both
 * sides buffer their rows in state, per join key, until the watermark proves they can no longer
 * match. The condition is analyzed once (`analyzeStreamJoin`): equi-join keys, each side's own
 * conjuncts, conjuncts over both sides, and each side's state eviction.
 *
 * Per batch:
 * 1. Each side drops its late rows (its first watermarked column ≤ the late-events watermark;
 *    counted in `numRowsDroppedByWatermark`) and rejects rows whose eviction time is not epoch
 *    milliseconds or a window (dead letters).
 * 2. The touched keys of both sides are loaded in one state read.
 * 3. Left input rows join the right state (previous batches only); then right input rows join
 *    the left state, which now includes this batch's left rows, so every pair meets exactly once.
 *    A row failing its side's own conjuncts, or with a NULL key, can never match: it is not
 *    buffered, and on a preserved side it is output null-padded at once (Spark's pre-join filter).
 *    A pair matches when the keys are equal and the conjuncts over both sides are TRUE. Matched
 *    stored rows are marked `matched`. Left rows are always buffered (left semi: unless matched);
 *    a right row is not when the state watermark already removes it, unless it is preserved and
 *    unmatched (it is output at eviction), as Spark does.
 * 4. Rows whose eviction time ≤ the eviction watermark leave the state; an unmatched row of a
 *    preserved side is output null-padded then: the only way an outer row appears.
 *
 * Left semi: a left row is output once, when it first matches (an input left row matching the
 * right state, or a buffered unmatched left row matched by a right input row).
 *
 * Output order: matches in input order (left input, then right input; for one input row, the
 * other side's rows in arrival order), then expired outer rows by (expiry, key) and arrival order.
 * Outer rows carry the preserved row's own columns only: rows are plain objects without a
 * schema, so the other side's column names are unknown; readers treat a missing column as null.
 *
 * Progress counts buffered rows, as Spark: total, appended (updated), evicted (removed).
 */
export class StreamJoinExec implements StatefulOperator {
  readonly operatorName = 'symmetricHashJoin';
  private readonly left: JoinSideSpec;
  private readonly right: JoinSideSpec;
  private readonly postFilter: ((pair: Pair) => boolean) | undefined;
  private readonly semi: boolean;
  /** Each side's partition-key column, if declared. */
  private readonly partitionColumns: readonly string[];
  private readonly leftPartitionColumn: string | undefined;
  private readonly rightPartitionColumn: string | undefined;

  constructor(
    private readonly leftChild: PhysicalOperator,
    private readonly rightChild: PhysicalOperator,
    readonly operatorId: string,
    node: StreamJoinNode,
    leftWatermarked: ReadonlySet<string>,
    rightWatermarked: ReadonlySet<string>,
  ) {
    const analysis = analyzeStreamJoin(node, leftWatermarked, rightWatermarked);
    const specs = joinSideSpecs(node, analysis);
    this.left = specs.left;
    this.right = specs.right;
    this.semi = node.how === 'left_semi';
    this.postFilter =
      analysis.postFilter === undefined
        ? undefined
        : (compilePredicate(analysis.postFilter, (column) => {
            const name = column.name;
            if (column.qualifier === 'left') return (pair) => nullIfAbsent((pair as Pair).l[name]);
            if (column.qualifier === 'right') return (pair) => nullIfAbsent((pair as Pair).r[name]);
            return () => null;
          }) as (pair: Pair) => boolean);
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

  /** Whether state ever expires (Spark: some state watermark predicate is defined). */
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
    const evictionMs = ctx.batch.watermarkForEvictionMs;
    this.joinWithOtherSide(leftInput, this.left, buffer, output, evictionMs);
    this.joinWithOtherSide(rightInput, this.right, buffer, output, evictionMs);
    buffer.flush();
    if (this.evicts) for (const row of await buffer.evict(evictionMs)) output.push(row);
    ctx.counters(this.operatorId).stateRows = buffer.counts();
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
          counters.numLateInputRows++;
          ctx.dropLate?.(row, this.operatorId, t, bound);
          continue;
        }
      }
      if (!spec.canMatch(row)) {
        admitted.push({ row, key: undefined });
        continue;
      }
      const key = spec.keyOf(row);
      if (key !== undefined && spec.evictAt(row) === null) {
        ctx.reject(row, this.operatorId, `${INVALID_EVENT_TIME} (${spec.timeLabel})`);
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
    evictionMs: number,
  ): void {
    const isLeft = own.side === 'left';
    const otherSide: JoinSide = isLeft ? 'right' : 'left';
    const pair: Pair = { l: {}, r: {} };
    for (const { row, key } of input) {
      if (key === undefined) {
        if (own.preserved) output.push({ ...row });
        continue;
      }
      const otherKey = stateKeyOf(otherSide, key);
      let matched = false;
      for (const stored of buffer.rows(otherKey)) {
        // Left semi, right input: a left row already output (matched) is not output again.
        if (this.semi && !isLeft && stored.matched) continue;
        pair.l = isLeft ? row : stored.row;
        pair.r = isLeft ? stored.row : row;
        if (this.postFilter !== undefined && !this.postFilter(pair)) continue;
        matched = true;
        buffer.markMatched(otherKey, stored);
        if (!this.semi) output.push(joinedRow(pair.l, pair.r));
        else if (!isLeft) output.push({ ...stored.row });
      }
      if (this.semi && isLeft && matched) {
        output.push({ ...row }); // output once, never buffered
        continue;
      }
      if (!isLeft) {
        // Spark skips buffering a right row the state watermark removes anyway, unless it must
        // still be output as an unmatched outer row at eviction.
        const at = own.evictAt(row);
        const evictedNow = typeof at === 'number' && at <= evictionMs;
        if (evictedNow && !(own.preserved && !matched)) continue;
      }
      buffer.append(stateKeyOf(own.side, key), row, matched);
    }
  }
}

const nullIfAbsent = (value: unknown): unknown => (value === undefined ? null : value);

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
