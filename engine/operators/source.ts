import type { OperatorContext, PhysicalOperator } from '../runtime/operator.js';
import type { Row } from '../types.js';

/** Reads the batch's rows of one named input stream. */
export class SourceExec implements PhysicalOperator {
  constructor(private readonly name: string) {}

  async execute(ctx: OperatorContext): Promise<Row[]> {
    return ctx.input(this.name).slice();
  }
}
