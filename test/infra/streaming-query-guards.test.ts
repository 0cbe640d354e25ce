import { Duration } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Stream, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { describe, expect, it } from 'vitest';
import {
  OutputBucket,
  StateTable,
  StreamingQuery,
  type StreamingQueryProps,
  StreamingQueryPropsError,
} from '../../infra/streaming-query.js';
import {
  ESM,
  FIXTURE_ENTRY,
  newStack,
  POLICY,
  pageViews,
  referencedIds,
  resource,
  templateOf,
} from './synth.js';

// What StreamingQuery refuses at synth time, and what each of its functions may touch.

describe('StreamingQuery refuses unsafe props at synth time', () => {
  const refuse = (props: Partial<StreamingQueryProps>, prop: string, reason: RegExp) => {
    const { stack } = newStack();
    let error: unknown;
    try {
      pageViews(stack, props);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StreamingQueryPropsError);
    expect((error as StreamingQueryPropsError).prop).toBe(prop);
    expect((error as Error).message).toMatch(reason);
  };

  it('refuses a parallelization factor above 1, explaining one writer per shard', () => {
    refuse(
      { parallelizationFactor: 2 },
      'parallelizationFactor',
      /must be 1, got 2\. sluice keeps one writer per shard/,
    );
    refuse({ parallelizationFactor: 10 }, 'parallelizationFactor', /Add shards .* to scale out instead/);
  });

  it('refuses query names unsafe in S3 or DynamoDB keys', () => {
    for (const queryName of ['a#b', 'a/b', 'has space', '', '-leading', 'x'.repeat(129)])
      refuse({ queryName }, 'queryName', /not safe in S3 keys and DynamoDB keys/);
  });

  it('refuses bad prefixes, conflicting stream and bucket props, and durations the services cannot take', () => {
    refuse({ prefix: '/abs' }, 'prefix', /no leading or trailing/);
    refuse({ prefix: 'a//b' }, 'prefix', /single '\/'/);
    refuse({ streamMode: StreamMode.ON_DEMAND, shardCount: 2 }, 'shardCount', /on-demand/);
    refuse({ shardCount: 0 }, 'shardCount', /whole number ≥ 1/);
    refuse({ heartbeatRate: Duration.seconds(90) }, 'heartbeatRate', /whole number of minutes/);
    refuse({ deadLetterExpiration: Duration.hours(36) }, 'deadLetterExpiration', /whole number of days/);
    refuse({ commitReserve: Duration.minutes(5) }, 'commitReserve', /shorter than timeout/);
    refuse(
      { glue: { database: 'Bad-Name', columns: [{ name: 'a', type: 'string' }] } },
      'glue.database',
      /lowercase/,
    );
  });

  it('refuses new-stream props next to an existing stream', () => {
    const { stack } = newStack();
    const stream = Stream.fromStreamArn(stack, 'S', 'arn:aws:kinesis:eu-west-1:111111111111:stream/s');
    expect(
      () => new StreamingQuery(stack, 'Q', { queryName: 'q', entry: FIXTURE_ENTRY, stream, shardCount: 2 }),
    ).toThrow(/shardCount: applies to a new stream only/);
  });
});

describe('each function touches only its own stream, table and bucket', () => {
  /** Logical ids of the resources the query construct `id` created. */
  const ownIds = (template: Template, id: string) =>
    new Set(Object.keys(template.toJSON().Resources).filter((logicalId) => logicalId.startsWith(id)));

  it("with two queries in one stack, every policy references only its own query's resources", () => {
    const template = templateOf((stack) => {
      new StreamingQuery(stack, 'Orders', { queryName: 'orders', entry: FIXTURE_ENTRY });
      new StreamingQuery(stack, 'Sessions', { queryName: 'sessions', entry: FIXTURE_ENTRY });
    });
    const policies = template.findResources(POLICY);
    expect(Object.keys(policies)).toHaveLength(4);
    for (const [own, other] of [
      ['Orders', 'Sessions'],
      ['Sessions', 'Orders'],
    ] as const) {
      const mine = ownIds(template, own);
      const theirs = ownIds(template, other);
      const [streamId] = resource(template, 'AWS::Kinesis::Stream', own);
      const [tableId] = resource(template, 'AWS::DynamoDB::Table', own);
      const [bucketId] = resource(template, 'AWS::S3::Bucket', own);
      for (const [policyId, policy] of Object.entries(policies).filter(([id]) => id.startsWith(own))) {
        const referenced = referencedIds(
          (policy as { Properties: { PolicyDocument: unknown } }).Properties.PolicyDocument,
        );
        for (const id of referenced) expect(mine, `${policyId} references ${id}`).toContain(id);
        for (const id of theirs) expect(referenced, `${policyId} references ${id}`).not.toContain(id);
        expect(referenced).toContain(streamId);
        expect(referenced).toContain(tableId);
        if (policyId.includes('QueryFunction')) expect(referenced).toContain(bucketId);
        else expect(referenced).not.toContain(bucketId); // the heartbeat never touches outputs
      }
      // The event source of each query reads its own stream.
      const [, mapping] = resource(template, ESM, `${own}QueryFunction`);
      expect(mapping.Properties!.EventSourceArn).toEqual({ 'Fn::GetAtt': [streamId, 'Arn'] });
    }
  });

  it('with a shared table and bucket, each function is confined to its own keys and prefix', () => {
    const template = templateOf((stack) => {
      const table = new StateTable(stack, 'SharedState').table;
      const bucket = new OutputBucket(stack, 'SharedOutput').bucket;
      new StreamingQuery(stack, 'Orders', { queryName: 'orders', entry: FIXTURE_ENTRY, table, bucket });
      new StreamingQuery(stack, 'Sessions', { queryName: 'sessions', entry: FIXTURE_ENTRY, table, bucket });
    });
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    const [bucketId, bucket] = resource(template, 'AWS::S3::Bucket');
    expect(bucket.Properties!.LifecycleConfiguration.Rules.map((r: { Prefix: string }) => r.Prefix)).toEqual([
      'sluice/orders/_dead/',
      'sluice/orders/_progress/',
      'sluice/orders/',
      'sluice/sessions/_dead/',
      'sluice/sessions/_progress/',
      'sluice/sessions/',
    ]);
    for (const query of ['orders', 'sessions']) {
      const own = query === 'orders' ? 'Orders' : 'Sessions';
      const [, policy] = resource(template, POLICY, `${own}QueryFunctionRole`);
      const statements = policy.Properties!.PolicyDocument.Statement as Record<string, any>[];
      const bySid = Object.fromEntries(statements.filter((s) => s.Sid).map((s) => [s.Sid, s]));
      expect(bySid.OwnStateItems.Condition).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`S#${query}#*`, `C#${query}`] },
      });
      expect(bySid.OwnOutputObjects.Resource).toEqual({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/sluice/${query}/*`]],
      });
      expect(bySid.ListOwnOutputPrefix.Condition).toEqual({
        StringLike: { 's3:prefix': [`sluice/${query}/*`] },
      });
      // No statement grants the table or bucket without those conditions or the prefix.
      for (const statement of statements) {
        const resources = JSON.stringify(statement.Resource);
        if (resources.includes(bucketId) && statement.Sid !== 'ListOwnOutputPrefix')
          expect(resources).toContain(`/sluice/${query}/*`);
        if (statement.Action.toString().includes('dynamodb:')) expect(statement.Condition).toBeDefined();
      }
    }
  });
});
