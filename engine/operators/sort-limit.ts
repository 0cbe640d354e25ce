import { compileExpression } from '../plan/expressions/compile-expression.js';
import { compareValues, isNull } from '../plan/expressions/values.js';
import type { SortOrder } from '../plan/nodes.js';
import type { OperatorContext, PhysicalOperator } from '../runtime/operator.js';
import type { Row } from '../types.js';

/**
 * `orderBy` over a batch's output: in complete mode (the only mode the checker lets a sort run
 * in, as Spark's) that output is the whole result table, so this is Spark's sort of it. Keys are
 * compared as SQL compares them (`compareValues`: numbers, strings, structs field by field); NULLs
 * go first or last as each order says; values that cannot be compared count as equal. The sort is
 * stable, so ties keep the aggregation's output order and a replay sorts the same.
 */
export class SortExec implements PhysicalOperator {
  private readonly keys: readonly ((row: Row) => unknown)[];

  constructor(
    private readonly child: PhysicalOperator,
    private readonly orders: readonly SortOrder[],
  ) {
    this.keys = orders.map((order) => compileExpression(order.expr));
  }

  async execute(ctx: OperatorContext): Promise<Row[]> {
    const rows = await this.child.execute(ctx);
    const keyed = rows.map((row) => ({ row, values: this.keys.map((key) => key(row)) }));
    keyed.sort((a, b) => this.compare(a.values, b.values));
    return keyed.map((entry) => entry.row);
  }

  private compare(a: readonly unknown[], b: readonly unknown[]): number {
    for (let i = 0; i < this.orders.length; i++) {
      const order = this.orders[i]!;
      const x = a[i];
      const y = b[i];
      const xNull = isNull(x);
      const yNull = isNull(y);
      if (xNull || yNull) {
        if (xNull && yNull) continue;
        return xNull === order.nullsFirst ? -1 : 1;
      }
      const c = compareValues(x, y) ?? 0;
      if (c !== 0) return order.ascending ? c : -c;
    }
    return 0;
  }
}

/** `limit(n)`: the first `n` rows of a batch's (complete, possibly sorted) output. */
export class LimitExec implements PhysicalOperator {
  constructor(
    private readonly child: PhysicalOperator,
    private readonly n: number,
  ) {}

  async execute(ctx: OperatorContext): Promise<Row[]> {
    const rows = await this.child.execute(ctx);
    return rows.length <= this.n ? rows : rows.slice(0, this.n);
  }
}
