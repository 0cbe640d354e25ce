import type { Expression } from '../expressions/expression.js';
import type { JoinSideName } from './join-condition.js';

/**
 * Spark's state value watermark (`StreamingJoinHelper.getStateValueWatermark`): from the join
 * condition's time comparisons, how far behind the event-time watermark `W` a buffered row of one
 * side can be and still match a future row of the other side.
 *
 * Each conjunct `a < b` (or `<=`, `>`, `>=`) is put in the form `f < 0` with `f` a sum of terms:
 * side-qualified columns with a sign, and constants (numbers and intervals, in milliseconds, as
 * sluice's timestamps are). It solves for the side's column when
 * - it reads at most one column of this side and at most one of the other,
 * - this side's column appears negated (`... - left.t < 0` bounds `left.t` from below), and
 * - the other side's column, if any, carries a watermark: it is replaced by `W`.
 * The result is `W + c` (`c` constant) or, without another side's column, a constant; `<=` and
 * `>=` take one millisecond off, since state is dropped when its time is `<=` the state watermark.
 * Several conjuncts: the minimum. Anything else (a function call, a product, months) yields nothing
 * from that conjunct, as in Spark.
 */

/** Terms of a linear time expression: column (`side.name`) coefficients and a constant. */
export interface LinearForm {
  readonly columns: Map<string, number>;
  readonly constant: number;
}

export function linearForm(expr: Expression): LinearForm | undefined {
  switch (expr.kind) {
    case 'alias':
      return linearForm(expr.operand);
    case 'column':
      if (expr.qualifier !== 'left' && expr.qualifier !== 'right') return undefined;
      return { columns: new Map([[`${expr.qualifier}.${expr.name}`, 1]]), constant: 0 };
    case 'literal':
      return typeof expr.value === 'number' ? { columns: new Map(), constant: expr.value } : undefined;
    case 'interval':
      return { columns: new Map(), constant: expr.ms };
    case 'cast':
      return expr.to === 'string' || expr.to === 'boolean' || expr.to === 'date'
        ? undefined
        : linearForm(expr.operand);
    case 'negate': {
      const inner = linearForm(expr.operand);
      return inner === undefined ? undefined : scale(inner, -1);
    }
    case 'binary': {
      if (expr.op !== '+' && expr.op !== '-') return undefined;
      const a = linearForm(expr.left);
      const b = linearForm(expr.right);
      if (a === undefined || b === undefined) return undefined;
      return add(a, expr.op === '+' ? b : scale(b, -1));
    }
    default:
      return undefined;
  }
}

const scale = (f: LinearForm, k: number): LinearForm => ({
  columns: new Map([...f.columns].map(([c, v]) => [c, v * k])),
  constant: f.constant * k,
});

function add(a: LinearForm, b: LinearForm): LinearForm {
  const columns = new Map(a.columns);
  for (const [c, v] of b.columns) columns.set(c, (columns.get(c) ?? 0) + v);
  return { columns, constant: a.constant + b.constant };
}

/** One side's state value watermark as a function of `W`: `min(W + offsetMs, ceilingMs)`. */
export interface ValueWatermark {
  /** The column of this side whose time the bound constrains (the one the conjuncts solved for). */
  readonly columns: readonly string[];
  /** `W + offsetMs`, when some conjunct bounds the side by the other side's watermarked time. */
  readonly offsetMs?: number;
  /** A constant bound, when some conjunct bounds the side by a constant alone. */
  readonly ceilingMs?: number;
}

/**
 * The state value watermark of `side`, given the conjuncts and the columns carrying a watermark
 * on the other side; `undefined` when no conjunct bounds it.
 */
export function stateValueWatermark(
  conjuncts: readonly Expression[],
  side: JoinSideName,
  otherWatermarked: ReadonlySet<string>,
): ValueWatermark | undefined {
  // Spark gives up unless the other side has some watermark at all.
  if (otherWatermarked.size === 0) return undefined;
  const other: JoinSideName = side === 'left' ? 'right' : 'left';
  let offsetMs: number | undefined;
  let ceilingMs: number | undefined;
  const columns: string[] = [];
  for (const conjunct of conjuncts) {
    if (conjunct.kind !== 'binary') continue;
    let f: LinearForm | undefined;
    let inclusive: boolean;
    const l = linearForm(conjunct.left);
    const r = linearForm(conjunct.right);
    if (l === undefined || r === undefined) continue;
    switch (conjunct.op) {
      case '<':
      case '<=':
        f = add(l, scale(r, -1));
        inclusive = conjunct.op === '<=';
        break;
      case '>':
      case '>=':
        f = add(r, scale(l, -1));
        inclusive = conjunct.op === '>=';
        break;
      default:
        continue;
    }
    const own = [...f.columns].filter(([c, v]) => v !== 0 && c.startsWith(`${side}.`));
    const theirs = [...f.columns].filter(([c, v]) => v !== 0 && c.startsWith(`${other}.`));
    if (own.length !== 1 || theirs.length > 1) continue;
    const [ownColumn, ownCoefficient] = own[0]!;
    if (ownCoefficient !== -1) continue;
    const margin = inclusive ? 1 : 0;
    if (theirs.length === 0) {
      const value = f.constant - margin;
      ceilingMs = ceilingMs === undefined ? value : Math.min(ceilingMs, value);
    } else {
      const [theirColumn, theirCoefficient] = theirs[0]!;
      if (theirCoefficient !== 1 || !otherWatermarked.has(theirColumn.slice(other.length + 1))) continue;
      const value = f.constant - margin;
      offsetMs = offsetMs === undefined ? value : Math.min(offsetMs, value);
    }
    const name = ownColumn.slice(side.length + 1);
    if (!columns.includes(name)) columns.push(name);
  }
  if (offsetMs === undefined && ceilingMs === undefined) return undefined;
  return {
    columns,
    ...(offsetMs === undefined ? {} : { offsetMs }),
    ...(ceilingMs === undefined ? {} : { ceilingMs }),
  };
}
