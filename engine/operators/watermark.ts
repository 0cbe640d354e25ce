import { eventTimeOf, INVALID_EVENT_TIME } from '../runtime/event-time.js';
import type { OperatorContext, PhysicalOperator } from '../runtime/operator.js';
import type { Row } from '../types.js';

/**
 * Spark's `EventTimeWatermarkExec`: passes rows through and records their event times, from
 * which the executor moves this operator's watermark after the batch. Rows without a valid
 * event time cannot be placed in time and are rejected as dead letters.
 */
export class WatermarkExec implements PhysicalOperator {
  constructor(
    private readonly child: PhysicalOperator,
    readonly watermarkId: string,
    private readonly column: string,
  ) {}

  async execute(ctx: OperatorContext): Promise<Row[]> {
    return this.track(await this.child.execute(ctx), ctx);
  }

  /**
   * The per-row loop, kept out of the async `execute` so that V8 optimizes it as a plain
   * function (on-stack replacement inside the resumed async function kept deoptimizing).
   */
  private track(input: Row[], ctx: OperatorContext): Row[] {
    const stats = ctx.eventTimes(this.watermarkId);
    // The input is this batch's own array (operators return new arrays): pass it on as it is
    // unless a row has to go.
    let output: Row[] | undefined;
    // Summed in locals and written once: updating the object's number fields per row would
    // allocate a boxed number per row (event times exceed small-integer range).
    let { min, max, sum, count } = stats;
    for (let i = 0; i < input.length; i++) {
      const row = input[i]!;
      const t = eventTimeOf(row[this.column]);
      if (t === undefined) {
        output ??= input.slice(0, i);
        ctx.reject(row, this.watermarkId, `${INVALID_EVENT_TIME} (column '${this.column}')`);
        continue;
      }
      if (t < min) min = t;
      if (t > max) max = t;
      sum += t;
      count++;
      output?.push(row);
    }
    stats.min = min;
    stats.max = max;
    stats.sum = sum;
    stats.count = count;
    return output ?? input;
  }
}
