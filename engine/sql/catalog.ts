import type { PlanNode } from '../plan/nodes.js';

/**
 * Named streams that SQL text can read, as Spark's session catalog of temporary views:
 * `stream.createOrReplaceTempView('events')` registers the stream's plan, `sql("... FROM events")`
 * reads it. A view is its plan (watermarks included), so SQL over it builds the same plan as the
 * DataFrame API would. One process-wide catalog, like a Spark session's; tests use their own
 * instance or distinct names.
 */
export class TempViews {
  private readonly views = new Map<string, PlanNode>();

  /** Registers (or replaces) a view. Names are case-insensitive, as in Spark. */
  register(name: string, plan: PlanNode): void {
    this.views.set(name.toLowerCase(), plan);
  }

  get(name: string): PlanNode | undefined {
    return this.views.get(name.toLowerCase());
  }

  names(): string[] {
    return [...this.views.keys()].sort();
  }

  drop(name: string): boolean {
    return this.views.delete(name.toLowerCase());
  }
}

/** The catalog `createOrReplaceTempView` and `sql` use unless given another. */
export const defaultViews = new TempViews();
