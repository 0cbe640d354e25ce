import type { Template } from 'aws-cdk-lib/assertions';
import { Stream, StreamEncryption } from 'aws-cdk-lib/aws-kinesis';
import { beforeAll, describe, expect, it } from 'vitest';
import { expr, readStream } from '../../engine/index.js';
import { StreamingQuery } from '../../infra/streaming-query.js';
import { ESM, FIXTURE_ENTRY, FUNCTION, POLICY, templateOf } from './synth.js';

// A join of two Kinesis streams in the construct: one event source mapping per source stream on
// the stage-1 function, SLUICE_SOURCE_STREAMS naming them, grants for every stage 1's checkpoints.

interface Order {
  orderId: string;
  ots: number;
}
interface Payment {
  paymentId: string;
  payOrderId: string;
  pts: number;
}

const paid = readStream<Order>('orders', { partitionKey: 'orderId' })
  .alias('o')
  .join(
    readStream<Payment>('payments', { partitionKey: 'paymentId' }).alias('p'),
    expr('o.orderId = p.payOrderId'),
  )
  .writeStream.queryName('paid')
  .build();

type Resource = { Properties: Record<string, any> };

describe('StreamingQuery reading two Kinesis streams (a join through the exchange)', () => {
  let template: Template;
  beforeAll(() => {
    template = templateOf((stack) => {
      new StreamingQuery(stack, 'Paid', {
        queryName: 'paid',
        query: paid,
        entry: FIXTURE_ENTRY,
        sourceStreams: {
          orders: new Stream(stack, 'Orders', { encryption: StreamEncryption.MANAGED }),
          payments: new Stream(stack, 'Payments', { encryption: StreamEncryption.MANAGED }),
        },
      });
    });
  });

  it('maps both source streams to the stage-1 function and the internal stream to stage 2', () => {
    const functions = template.findResources(FUNCTION) as Record<string, Resource>;
    const stage1Id = Object.keys(functions).find(
      (id) => functions[id]!.Properties.Description === 'sluice streaming query paid, stage 1',
    )!;
    const mappings = Object.values(template.findResources(ESM) as Record<string, Resource>);
    expect(mappings).toHaveLength(3);
    const sources = mappings
      .filter((m) => m.Properties.FunctionName.Ref === stage1Id)
      .map((m) => m.Properties.EventSourceArn['Fn::GetAtt'][0] as string)
      .sort();
    expect(sources).toHaveLength(2);
    expect(sources[0]).toMatch(/^Orders/);
    expect(sources[1]).toMatch(/^Payments/);
    const env = functions[stage1Id]!.Properties.Environment.Variables;
    expect(env.SLUICE_SOURCE_STREAMS).toEqual({
      'Fn::Join': [
        '',
        [
          'orders=',
          { Ref: expect.stringMatching(/^Orders/) },
          ',payments=',
          { Ref: expect.stringMatching(/^Payments/) },
        ],
      ],
    });
    // The construct created no source stream of its own: two given, plus the internal one.
    expect(Object.keys(template.findResources('AWS::Kinesis::Stream'))).toHaveLength(3);
  });

  it("grants stage 1 every stage 1's checkpoint items (<query>.stage-1.<source>) and S3 prefix", () => {
    const statements = Object.values(template.findResources(POLICY) as Record<string, Resource>).flatMap(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    const keys = statements
      .filter((s) => s.Sid === 'OwnStateItems')
      .map((s) => s.Condition['ForAllValues:StringLike']['dynamodb:LeadingKeys']);
    expect(keys).toContainEqual(['S#paid.stage-1.*#*', 'C#paid.stage-1.*']);
    expect(keys).toContainEqual(['S#paid#*', 'C#paid']);
  });

  it("keeps each source stream moving: one heartbeat per stream, watching its own stage 1's checkpoints", () => {
    const functions = Object.values(template.findResources(FUNCTION) as Record<string, Resource>);
    // A heartbeat ticker is the function with a quiet threshold (SLUICE_QUIET_MS).
    const watched = functions
      .map((f) => f.Properties.Environment?.Variables ?? {})
      .filter((env) => env.SLUICE_QUIET_MS !== undefined)
      .map((env) => `${env.SLUICE_QUERY} ${(env.SLUICE_STREAM.Ref as string).replace(/[0-9A-F]{8}$/, '')}`)
      .sort();
    expect(watched).toEqual(['paid.stage-1.orders Orders', 'paid.stage-1.payments Payments']);
    expect(Object.keys(template.findResources('AWS::Events::Rule'))).toHaveLength(2);
  });

  it("expires every stage 1's dead letters, manifests and progress", () => {
    const buckets = Object.values(template.findResources('AWS::S3::Bucket') as Record<string, Resource>);
    const prefixes = buckets
      .flatMap((b) => b.Properties.LifecycleConfiguration?.Rules ?? [])
      .map((rule: { Prefix?: string }) => rule.Prefix ?? '')
      .filter((prefix: string) => prefix.includes('stage-1'));
    for (const stage of ['paid.stage-1.orders', 'paid.stage-1.payments'])
      for (const kind of ['dead', 'manifest', 'progress'])
        expect(prefixes.some((prefix: string) => prefix.endsWith(`${stage}/_${kind}/`))).toBe(true);
  });

  it('refuses sourceStreams that do not name exactly the sources, or a query that needs none', () => {
    const build = (props: Record<string, unknown>) => () =>
      templateOf((stack) => {
        const orders = new Stream(stack, 'O', { encryption: StreamEncryption.MANAGED });
        new StreamingQuery(stack, 'Q', {
          queryName: 'paid',
          query: paid,
          entry: FIXTURE_ENTRY,
          sourceStreams: { orders },
          ...props,
        } as never);
      });
    expect(build({})).toThrow(/sourceStreams.*missing payments/s);
    const single = readStream<Order>('orders', { partitionKey: 'orderId' })
      .writeStream.queryName('paid')
      .build();
    expect(build({ query: single })).toThrow(/sourceStreams.*runs in one stage/s);
    expect(build({ query: undefined })).toThrow(/sourceStreams.*needs `query`/s);
  });
});
