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
    const input = await this.child.execute(ctx);
    const stats = ctx.eventTimes(this.watermarkId);
    const output: Row[] = [];
    for (const row of input) {
      const t = eventTimeOf(row[this.column]);
      if (t === undefined) {
        ctx.reject(row, this.watermarkId, `${INVALID_EVENT_TIME} (column '${this.column}')`);
        continue;
      }
      if (t < stats.min) stats.min = t;
      if (t > stats.max) stats.max = t;
      stats.sum += t;
      stats.count++;
      output.push(row);
    }
    return output;
  }
}
