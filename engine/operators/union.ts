import type { OperatorContext, PhysicalOperator } from '../runtime/operator.js';
import type { Row } from '../types.js';

/** Concatenates its inputs in order: first input's rows, then the second's, and so on. */
export class UnionExec implements PhysicalOperator {
  constructor(private readonly children: readonly PhysicalOperator[]) {}

  async execute(ctx: OperatorContext): Promise<Row[]> {
    const output: Row[] = [];
    // Sequential on purpose: stateful children must read state in a deterministic order.
    for (const child of this.children) for (const row of await child.execute(ctx)) output.push(row);
    return output;
  }
}
