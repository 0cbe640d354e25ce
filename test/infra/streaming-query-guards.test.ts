import { Duration, type Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { Stream, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
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
    refuse({ commitReserve: Duration.minutes(5) }, 'commitReserve', /every invocation would process nothing/);
    refuse(
      { glue: { database: 'Bad-Name', columns: [{ name: 'a', type: 'string' }] } },
      'glue.database',
      /lowercase/,
    );
  });

  it('checks the timeout against the commit reserve, the 10 s default included', () => {
    // commitReserve unset: the function keeps 10 s, so a 10 s (or 12 s) timeout leaves nothing.
    refuse(
      { timeout: Duration.seconds(10) },
      'timeout',
      /leaves 0 s after the default commit reserve \(10 seconds\)/,
    );
    refuse(
      { timeout: Duration.seconds(12) },
      'timeout',
      /raise timeout to at least 15 seconds, or set a smaller commitReserve/,
    );
    refuse(
      { timeout: Duration.seconds(30), commitReserve: Duration.seconds(28) },
      'commitReserve',
      /leaves 2 s after commitReserve \(28 seconds\).*raise timeout or lower commitReserve/,
    );
    refuse({ commitReserve: Duration.millis(500) }, 'commitReserve', /at least 1 second/);
    // Accepted: 15 s leaves 5 s after the default; a 5 s reserve makes a 10 s timeout usable.
    for (const props of [
      { timeout: Duration.seconds(15) },
      { timeout: Duration.seconds(10), commitReserve: Duration.seconds(5) },
    ]) {
      const { stack } = newStack();
      expect(() => pageViews(stack, props)).not.toThrow();
    }
  });

  it('takes maxRecordsPerBatch as a prop, never through environment', () => {
    refuse({ maxRecordsPerBatch: 0 }, 'maxRecordsPerBatch', /whole number ≥ 1, got 0/);
    refuse({ maxRecordsPerBatch: 2.5 }, 'maxRecordsPerBatch', /whole number ≥ 1/);
    refuse(
      { environment: { SLUICE_MAX_RECORDS_PER_BATCH: '10' } },
      'environment',
      /sets SLUICE_MAX_RECORDS_PER_BATCH, which the construct derives from `maxRecordsPerBatch`; set `maxRecordsPerBatch` instead/,
    );
    refuse({ environment: { SLUICE_RESERVE_MS: '1000' } }, 'environment', /set `commitReserve` instead/);
  });

  it('refuses two queries whose key prefixes nest in one bucket', () => {
    const shared = (build: (stack: Stack, bucket: IBucket) => void) => {
      const { stack } = newStack();
      build(stack, new OutputBucket(stack, 'Shared').bucket);
    };
    let ids = 0;
    const query = (stack: Stack, bucket: IBucket, queryName: string, prefix: string) =>
      new StreamingQuery(stack, `Q${ids++}`, {
        queryName,
        prefix,
        bucket,
        entry: FIXTURE_ENTRY,
      });
    // team/a/ (query a under team) contains team/a/x/ (query x under team/a), in either order.
    for (const [first, second] of [
      [
        ['a', 'team'],
        ['x', 'team/a'],
      ],
      [
        ['x', 'team/a'],
        ['a', 'team'],
      ],
    ] as const) {
      shared((stack, bucket) => {
        query(stack, bucket, first[0], first[1]);
        let error: unknown;
        try {
          query(stack, bucket, second[0], second[1]);
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(StreamingQueryPropsError);
        expect((error as StreamingQueryPropsError).prop).toBe('prefix');
        expect((error as Error).message).toMatch(
          new RegExp(
            `StreamingQuery '${second[0]}': prefix: its objects under ${second[1]}/${second[0]}/ overlap those of query '${first[0]}' under ${first[1]}/${first[0]}/ in the same bucket.*not inside one another`,
          ),
        );
      });
    }
    // The same query name and prefix twice in one bucket is refused as well.
    shared((stack, bucket) => {
      query(stack, bucket, 'q', 'sluice');
      expect(() => query(stack, bucket, 'q', 'sluice')).toThrow(/overlap/);
    });
    // Two imports of one bucket name are one bucket; sibling prefixes and separate buckets are fine.
    const { stack } = newStack();
    const imported = (id: string) => Bucket.fromBucketName(stack, id, 'shared-outputs');
    query(stack, imported('I1'), 'a', 'team');
    expect(() => query(stack, imported('I2'), 'x', 'team/a')).toThrow(/overlap those of query 'a'/);
    query(stack, imported('I3'), 'b', 'team-a');
    query(stack, imported('I4'), 'a', 'team/b');
    query(stack, new OutputBucket(stack, 'Own').bucket, 'x', 'team/a');
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
      'sluice/orders/_late/',
      'sluice/orders/_progress/',
      'sluice/orders/_state/',
      'sluice/orders/',
      'sluice/sessions/_dead/',
      'sluice/sessions/_late/',
      'sluice/sessions/_progress/',
      'sluice/sessions/_state/',
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
      // The S3 state store deletes only its own superseded state objects.
      expect(bySid.CleanOwnStateObjects.Action).toBe('s3:DeleteObject');
      expect(bySid.CleanOwnStateObjects.Resource).toEqual({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, `/sluice/${query}/_state/*`]],
      });
      // No statement grants the table or bucket without those conditions or the prefix.
      for (const statement of statements) {
        const resources = JSON.stringify(statement.Resource);
        if (resources.includes(bucketId) && statement.Sid !== 'ListOwnOutputPrefix')
          expect(resources).toMatch(new RegExp(`/sluice/${query}/(_state/)?\\*`));
        if (statement.Action.toString().includes('dynamodb:')) expect(statement.Condition).toBeDefined();
      }
    }
  });
});
