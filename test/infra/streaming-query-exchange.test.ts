import type { Template } from 'aws-cdk-lib/assertions';
import { StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { beforeAll, describe, expect, it } from 'vitest';
import { count, readStream, window } from '../../engine/index.js';
import { StreamingQuery } from '../../infra/streaming-query.js';
import { ESM, FIXTURE_ENTRY, FUNCTION, POLICY, resource, templateOf } from './synth.js';

// A two-stage query in the construct: the internal stream, the stage-2 function and mapping,
// grants per stage, and the same deployment as before for a query that needs no exchange.

interface Click {
  user: string;
  campaign: string;
  ts: number;
}

const perCampaign = readStream<Click>('clicks', { partitionKey: 'user', eventTime: 'ts' })
  .withWatermark('ts', '10 seconds')
  .groupBy(window('ts', '10 seconds'), 'campaign')
  .agg({ n: count() })
  .writeStream.queryName('per-campaign')
  .outputMode('update')
  .build();

type Resource = { Properties: Record<string, any> };

function functionNamed(template: Template, description: string): [string, Resource] {
  const found = Object.entries(template.findResources(FUNCTION) as Record<string, Resource>).filter(
    ([, r]) => r.Properties.Description === description,
  );
  expect(found).toHaveLength(1);
  return found[0]!;
}

/** The actions a function's role may take on a resource id (Ref or GetAtt of it). */
function policyStatementsOf(template: Template, roleId: string): any[] {
  return Object.values(template.findResources(POLICY) as Record<string, Resource>)
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('StreamingQuery with a two-stage query', () => {
  let template: Template;
  beforeAll(() => {
    template = templateOf(
      (stack) =>
        new StreamingQuery(stack, 'PerCampaign', {
          queryName: 'per-campaign',
          query: perCampaign,
          entry: FIXTURE_ENTRY,
          shardCount: 4,
          exchangeShardCount: 3,
        }),
    );
  });

  it('creates the internal stream: provisioned, sized by exchangeShardCount, encrypted', () => {
    const streams = template.findResources('AWS::Kinesis::Stream') as Record<string, Resource>;
    const internal = Object.entries(streams).find(([id]) => id.includes('ExchangeStream'));
    expect(internal).toBeDefined();
    expect(internal![1].Properties).toMatchObject({
      ShardCount: 3,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    expect(Object.keys(streams)).toHaveLength(2);
  });

  it('runs stage 2 as a second function from the same handler file, mapped to the internal stream', () => {
    const [stage1Id, stage1] = functionNamed(template, 'sluice streaming query per-campaign, stage 1');
    const [stage2Id, stage2] = functionNamed(
      template,
      'sluice streaming query per-campaign, stage 2 (after the exchange)',
    );
    const [internalId] = resource(template, 'AWS::Kinesis::Stream', 'PerCampaignExchangeStream');
    for (const fn of [stage1, stage2]) {
      expect(fn.Properties.Environment.Variables.SLUICE_EXCHANGE_STREAM).toEqual({ Ref: internalId });
      expect(fn.Properties.Handler).toBe(stage1.Properties.Handler);
    }
    const mappings = Object.values(template.findResources(ESM) as Record<string, Resource>);
    expect(mappings).toHaveLength(2);
    const toStage2 = mappings.find((m) => m.Properties.FunctionName.Ref === stage2Id)!;
    expect(toStage2.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [internalId, 'Arn'] },
      ParallelizationFactor: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
    });
    const toStage1 = mappings.find((m) => m.Properties.FunctionName.Ref === stage1Id)!;
    expect(toStage1.Properties.EventSourceArn['Fn::GetAtt'][0]).not.toBe(internalId);
  });

  it('grants stage 1 puts into the internal stream and its own checkpoint items; stage 2 reads the stream and owns the query', () => {
    const [internalId] = resource(template, 'AWS::Kinesis::Stream', 'PerCampaignExchangeStream');
    const [, stage1] = functionNamed(template, 'sluice streaming query per-campaign, stage 1');
    const [, stage2] = functionNamed(
      template,
      'sluice streaming query per-campaign, stage 2 (after the exchange)',
    );
    const roleOf = (fn: Resource) => fn.Properties.Role['Fn::GetAtt'][0] as string;
    const one = policyStatementsOf(template, roleOf(stage1));
    const two = policyStatementsOf(template, roleOf(stage2));
    const put = one.find((s) => s.Sid === 'PutExchangeRecords');
    expect(put.Action).toEqual(['kinesis:ListShards', 'kinesis:PutRecords']);
    expect(put.Resource).toEqual({ 'Fn::GetAtt': [internalId, 'Arn'] });
    const items = (statements: any[]) =>
      statements.find((s) => s.Sid === 'OwnStateItems').Condition['ForAllValues:StringLike'][
        'dynamodb:LeadingKeys'
      ];
    expect(items(one)).toEqual(['S#per-campaign.stage-1#*', 'C#per-campaign.stage-1']);
    expect(items(two)).toEqual(['S#per-campaign#*', 'C#per-campaign']);
    expect(two.some((s) => s.Sid === 'PutExchangeRecords')).toBe(false);
    const reads = two.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
    expect(reads).toEqual(
      expect.arrayContaining(['kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards']),
    );
  });

  it("alarms on stage 2's errors and iterator age", () => {
    const alarms = Object.values(
      template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>,
    );
    const descriptions = alarms.map((a) => a.Properties.AlarmDescription as string);
    expect(descriptions).toEqual(
      expect.arrayContaining([
        'per-campaign: the stage-2 function threw or timed out',
        expect.stringMatching(/^per-campaign: stage 2's oldest unprocessed exchange record/),
      ]),
    );
  });
});

describe("StreamingQuery: stage 1's dead letters and progress", () => {
  let template: Template;
  beforeAll(() => {
    template = templateOf(
      (stack) =>
        new StreamingQuery(stack, 'PerCampaign', {
          queryName: 'per-campaign',
          query: perCampaign,
          entry: FIXTURE_ENTRY,
        }),
    );
  });

  it("expires stage 1's dead letters, their manifests and its progress under PREFIX/QUERY.stage-1/", () => {
    const buckets = Object.values(template.findResources('AWS::S3::Bucket') as Record<string, Resource>);
    const rules = buckets.flatMap((b) => b.Properties.LifecycleConfiguration?.Rules ?? []);
    const byId = new Map(rules.map((rule: any) => [rule.Id, rule]));
    expect(byId.get('per-campaign-stage-1-dead')).toMatchObject({
      Prefix: 'sluice/per-campaign.stage-1/_dead/',
      ExpirationInDays: 30,
    });
    expect(byId.get('per-campaign-stage-1-manifest')).toMatchObject({
      Prefix: 'sluice/per-campaign.stage-1/_manifest/',
      ExpirationInDays: 30,
    });
    expect(byId.get('per-campaign-stage-1-progress')).toMatchObject({
      Prefix: 'sluice/per-campaign.stage-1/_progress/',
      ExpirationInDays: 7,
    });
    // The query's own rules are unchanged.
    expect(byId.get('per-campaign-dead')).toMatchObject({ Prefix: 'sluice/per-campaign/_dead/' });
  });

  it("the dead-letter and batch-failure alarms watch the query's metrics, which both stages publish", () => {
    // Both functions run the same handler file, whose metrics carry the query's name as dimensions
    // (functions/runtime.ts), so one alarm counts stage 1's dead letters and failures with stage 2's.
    const alarms = Object.values(
      template.findResources('AWS::CloudWatch::Alarm') as Record<string, Resource>,
    );
    for (const metric of ['DeadLetters', 'BatchFailures']) {
      const alarm = alarms.find((a) => a.Properties.MetricName === metric)!;
      expect(alarm.Properties.Dimensions).toEqual(
        expect.arrayContaining([
          { Name: 'service', Value: 'per-campaign' },
          { Name: 'query', Value: 'per-campaign' },
        ]),
      );
    }
    const dead = alarms.find((a) => a.Properties.MetricName === 'DeadLetters')!;
    expect(dead.Properties.AlarmDescription).toContain('PREFIX/per-campaign.stage-1/_dead/');
  });
});

describe('StreamingQuery and queries without an exchange', () => {
  it('deploys a query that follows its partition key as one stage, as before', () => {
    const byCampaign = readStream<Click>('clicks', { partitionKey: 'campaign' })
      .groupBy('campaign')
      .agg({ n: count() })
      .writeStream.queryName('by-campaign')
      .outputMode('update')
      .build();
    const template = templateOf(
      (stack) =>
        new StreamingQuery(stack, 'ByCampaign', {
          queryName: 'by-campaign',
          query: byCampaign,
          entry: FIXTURE_ENTRY,
        }),
    );
    expect(Object.keys(template.findResources('AWS::Kinesis::Stream'))).toHaveLength(1);
    expect(Object.keys(template.findResources(ESM))).toHaveLength(1);
    const [, fn] = resource(template, FUNCTION, 'ByCampaignQueryFunction');
    expect(fn.Properties!.Environment.Variables.SLUICE_EXCHANGE_STREAM).toBeUndefined();
  });

  it('makes the internal stream on-demand with exchangeStreamMode (no shard count), and refuses both settings at once', () => {
    const onDemand = templateOf(
      (stack) =>
        new StreamingQuery(stack, 'PerCampaign', {
          queryName: 'per-campaign',
          query: perCampaign,
          entry: FIXTURE_ENTRY,
          exchangeStreamMode: StreamMode.ON_DEMAND,
        }),
    );
    const streams = onDemand.findResources('AWS::Kinesis::Stream') as Record<string, Resource>;
    const internal = Object.entries(streams).find(([id]) => id.includes('ExchangeStream'))![1];
    expect(internal.Properties.StreamModeDetails).toEqual({ StreamMode: 'ON_DEMAND' });
    expect(internal.Properties.ShardCount).toBeUndefined();
    expect(internal.Properties.StreamEncryption).toMatchObject({ EncryptionType: 'KMS' });
    expect(() =>
      templateOf(
        (stack) =>
          new StreamingQuery(stack, 'X', {
            queryName: 'per-campaign',
            query: perCampaign,
            entry: FIXTURE_ENTRY,
            exchangeStreamMode: StreamMode.ON_DEMAND,
            exchangeShardCount: 4,
          }),
      ),
    ).toThrow(/exchangeShardCount.*on-demand internal stream/s);
  });

  it('refuses a query whose name differs from queryName, and exchangeShardCount without a query', () => {
    expect(() =>
      templateOf(
        (stack) =>
          new StreamingQuery(stack, 'X', { queryName: 'other', query: perCampaign, entry: FIXTURE_ENTRY }),
      ),
    ).toThrow(/query.*"per-campaign".*queryName is "other"/s);
    expect(() =>
      templateOf(
        (stack) =>
          new StreamingQuery(stack, 'X', { queryName: 'x', exchangeShardCount: 2, entry: FIXTURE_ENTRY }),
      ),
    ).toThrow(/exchangeShardCount/);
  });
});
