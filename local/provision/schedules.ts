import { MissingFunctionMetadataError, UnsupportedPropertyError } from './errors.js';
import { type CfnTemplate, RESOURCE_TYPES, referencedLogicalId, resourcesOfType } from './template.js';
import type { LocalFunction, LocalSchedule } from './types.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

/** Milliseconds between ticks of an EventBridge `rate(N unit)` expression, or `undefined` for anything else. */
export function rateMs(expression: string): number | undefined {
  const match = /^rate\(\s*(\d+)\s+([a-z]+)\s*\)$/.exec(expression.trim());
  const unit = match === null ? undefined : UNIT_MS[match[2]!];
  return unit === undefined ? undefined : Number(match![1]) * unit;
}

/**
 * The template's scheduled rules that target functions of the template (the heartbeat tick).
 * Rules without a schedule, or targeting nothing the runner hosts, are ignored.
 *
 * @throws {@link UnsupportedPropertyError} for a `cron(...)` schedule on a function
 * @throws {@link MissingFunctionMetadataError} when a target function has no `sluice:entry`
 */
export function readSchedules(
  template: CfnTemplate,
  functions: Readonly<Record<string, LocalFunction>>,
): LocalSchedule[] {
  const schedules: LocalSchedule[] = [];
  for (const [logicalId, resource] of resourcesOfType(template, RESOURCE_TYPES.rule)) {
    const properties = resource.Properties ?? {};
    const expression = properties.ScheduleExpression;
    if (typeof expression !== 'string') continue;
    const targets = ((properties.Targets ?? []) as { Arn?: unknown }[])
      .map((target) => referencedLogicalId(target.Arn))
      .flatMap((id) => (id !== undefined && functions[id] !== undefined ? [functions[id]!] : []));
    if (targets.length === 0) continue;
    const period = rateMs(expression);
    if (period === undefined)
      throw new UnsupportedPropertyError(
        logicalId,
        'ScheduleExpression',
        expression,
        'the local runner ticks rate(N minutes|hours|days) schedules only; use a rate expression.',
      );
    for (const target of targets) {
      if (target.entry === undefined)
        throw new MissingFunctionMetadataError(target.logicalId, 'sluice:entry');
    }
    schedules.push({
      logicalId,
      expression,
      rateMs: period,
      functionLogicalIds: targets.map((target) => target.logicalId),
      enabled: properties.State !== 'DISABLED',
    });
  }
  return schedules;
}
