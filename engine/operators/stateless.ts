import { compileExpression, compilePredicate } from '../plan/expressions/compile-expression.js';
import type { StatelessNode } from '../plan/nodes.js';
import type { OperatorContext, PhysicalOperator } from '../runtime/operator.js';
import type { Row } from '../types.js';

type Step = StatelessNode;
type Emit = (row: Row) => void;

/**
 * Adjacent map / filter / flatMap / select / project / where steps fused into one pass over the rows, so a chain
 * of stateless steps costs one loop and no intermediate arrays.
 */
export class StatelessExec implements PhysicalOperator {
  private readonly pipeline: (row: Row, emit: Emit) => void;

  /** `steps` in execution order (the first applies first). */
  constructor(
    private readonly child: PhysicalOperator,
    steps: readonly Step[],
  ) {
    this.pipeline = steps.reduceRight<(row: Row, emit: Emit) => void>(
      (next, step) => fuse(step, next),
      (row, emit) => emit(row),
    );
  }

  async execute(ctx: OperatorContext): Promise<Row[]> {
    const input = await this.child.execute(ctx);
    const output: Row[] = [];
    const emit: Emit = (row) => {
      output.push(row);
    };
    for (const row of input) this.pipeline(row, emit);
    return output;
  }
}

function fuse(step: Step, next: (row: Row, emit: Emit) => void): (row: Row, emit: Emit) => void {
  switch (step.kind) {
    case 'map': {
      const fn = step.fn;
      return (row, emit) => next(fn(row), emit);
    }
    case 'filter': {
      const fn = step.fn;
      return (row, emit) => {
        if (fn(row)) next(row, emit);
      };
    }
    case 'flatMap': {
      const fn = step.fn;
      return (row, emit) => {
        for (const out of fn(row)) next(out, emit);
      };
    }
    case 'select': {
      const columns = step.columns;
      return (row, emit) => {
        const out: Row = {};
        for (const column of columns) out[column] = row[column];
        next(out, emit);
      };
    }
    case 'where': {
      const test = compilePredicate(step.condition);
      return (row, emit) => {
        if (test(row)) next(row, emit);
      };
    }
    case 'project':
      return fuseProject(step, next);
  }
}

/** A projection: each expression compiled once, evaluated against the input row. */
function fuseProject(
  step: Extract<Step, { kind: 'project' }>,
  next: (row: Row, emit: Emit) => void,
): (row: Row, emit: Emit) => void {
  const names = step.columns.map((column) => column.name);
  const evaluators = step.columns.map((column) => compileExpression(column.expr));
  const drop = step.drop;
  const keepInput = step.keepInput;
  return (row, emit) => {
    const out: Row = keepInput ? { ...row } : {};
    for (const column of drop) delete out[column];
    for (let i = 0; i < names.length; i++) out[names[i]!] = evaluators[i]!(row);
    next(out, emit);
  };
}
