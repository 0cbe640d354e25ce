import { randomUUID } from 'node:crypto';
import type { LocalSchedule } from '../provision/index.js';
import type { InvokeResult } from './function-pool.js';

/** Counters of one schedule. */
export interface ScheduleStats {
  readonly ticks: number;
  readonly errors: number;
}

/** What a scheduled rule needs to tick. */
export interface ScheduleContext {
  readonly region: string;
  readonly accountId: string;
  readonly stackName: string;
  /** Ticks come `speedUp` times as often as the rule's rate. */
  readonly speedUp: number;
  readonly invoke: (functionLogicalId: string, event: unknown) => Promise<InvokeResult>;
  readonly onError: (error: unknown) => void;
}

/**
 * An EventBridge scheduled rule: every `rate / speedUp` ms it invokes its target functions with
 * a `Scheduled Event`. A tick that is still running when the next is due makes that one skip, as
 * a slow target would only pile up.
 */
export class ScheduleRunner {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private counters = { ticks: 0, errors: 0 };

  constructor(
    readonly schedule: LocalSchedule,
    private readonly context: ScheduleContext,
  ) {}

  /** Milliseconds between ticks. */
  get periodMs(): number {
    return this.schedule.rateMs / this.context.speedUp;
  }

  start(): void {
    if (this.timer !== undefined || !this.schedule.enabled) return;
    this.timer = setInterval(() => {
      if (this.running === undefined) void this.tick();
    }, this.periodMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Invokes the targets once now (waits for a tick in progress first). */
  async tick(): Promise<void> {
    await this.running;
    this.running = this.invokeTargets().finally(() => {
      this.running = undefined;
    });
    await this.running;
  }

  stats(): ScheduleStats {
    return { ...this.counters };
  }

  private async invokeTargets(): Promise<void> {
    const { region, accountId, stackName } = this.context;
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [`arn:aws:events:${region}:${accountId}:rule/${stackName}-${this.schedule.logicalId}`],
      detail: {},
    };
    this.counters.ticks++;
    const results = await Promise.all(
      this.schedule.functionLogicalIds.map((id) => this.context.invoke(id, event)),
    );
    for (const result of results) {
      if (result.ok) continue;
      this.counters.errors++;
      this.context.onError(
        new Error(
          `scheduled ${this.schedule.logicalId}: ${result.error?.errorType}: ${result.error?.errorMessage}`,
        ),
      );
    }
  }
}
