import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { FUNCTION, newStack, pageViews, templateOf } from './synth.js';

// The state-memory limit (issue 9): the function's share for a shard's S3 state, passed as
// SLUICE_STATE_MEMORY_FRACTION, and the alarm on the handler's StateMemoryBytes before it.
const ALARM = 'AWS::CloudWatch::Alarm';
const MB = 2 ** 20;

describe('StreamingQuery state-memory limit', () => {
  it('passes 20% by default and alarms at 80% of 20% of 1024 MB, on the maximum', () => {
    const template = templateOf((stack) => pageViews(stack));
    template.hasResourceProperties(FUNCTION, {
      Environment: { Variables: Match.objectLike({ SLUICE_STATE_MEMORY_FRACTION: '0.2' }) },
    });
    template.hasResourceProperties(ALARM, {
      MetricName: 'StateMemoryBytes',
      Statistic: 'Maximum',
      Threshold: Math.floor(Math.floor(1024 * MB * 0.2) * 0.8),
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: Match.arrayWith([Match.objectLike({ Name: 'query', Value: 'page-views' })]),
    });
  });

  it('derives the limit from memorySize and stateMemoryFraction, and the alarm from alarms.stateMemory', () => {
    const template = templateOf((stack) =>
      pageViews(stack, { memorySize: 2048, stateMemoryFraction: 0.3, alarms: { stateMemory: 0.5 } }),
    );
    template.hasResourceProperties(FUNCTION, {
      MemorySize: 2048,
      Environment: { Variables: Match.objectLike({ SLUICE_STATE_MEMORY_FRACTION: '0.3' }) },
    });
    template.hasResourceProperties(ALARM, {
      MetricName: 'StateMemoryBytes',
      Threshold: Math.floor(Math.floor(2048 * MB * 0.3) * 0.5),
    });
  });

  it('has no state-memory alarm with DynamoDB state (nothing held in memory)', () => {
    const template = templateOf((stack) => pageViews(stack, { state: 'dynamodb' }));
    expect(
      Object.keys(template.findResources(ALARM, { Properties: { MetricName: 'StateMemoryBytes' } })),
    ).toEqual([]);
  });

  it.each([0, -0.1, 0.95, Number.NaN])(
    'refuses stateMemoryFraction %s, naming the prop and the fix',
    (fraction) => {
      const { stack } = newStack();
      expect(() => pageViews(stack, { stateMemoryFraction: fraction })).toThrow(
        /stateMemoryFraction.*at most 0\.9.*memorySize/s,
      );
    },
  );
});
