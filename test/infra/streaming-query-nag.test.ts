import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { HEARTBEAT_PARTITION_KEY } from '../../engine/aws/kinesis/heartbeat.js';
import { count, expr, readStream } from '../../engine/index.js';
import { OutputBucket, StateTable, StreamingQuery } from '../../infra/streaming-query.js';
import { FIXTURE_ENTRY, FUNCTION, newStack, pageViews } from './synth.js';

// cdk-nag's AwsSolutions checks over every construct shape, and one real esbuild bundle.

describe('cdk-nag AwsSolutions', () => {
  it('finds nothing unacknowledged, and every acknowledgement says why', () => {
    // CDK's CloudFormation schema validation runs here too, over every shape below.
    const { app, stack } = newStack({ validate: true });
    // Every shape: defaults with Glue, a shared table and bucket, an on-demand stream, access logs,
    // a two-stage query.
    pageViews(stack, { glue: { database: 'analytics', columns: [{ name: 'page', type: 'string' }] } });
    const table = new StateTable(stack, 'SharedState').table;
    const bucket = new OutputBucket(stack, 'SharedOutput').bucket;
    new StreamingQuery(stack, 'Orders', {
      queryName: 'orders',
      entry: FIXTURE_ENTRY,
      table,
      bucket,
      streamMode: StreamMode.ON_DEMAND,
    });
    const logs = new Bucket(stack, 'AccessLogs', { enforceSSL: true });
    Validations.of(logs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket only receives the server access logs of the audited bucket in this test.',
    });
    new StreamingQuery(stack, 'Audited', {
      queryName: 'audited',
      entry: FIXTURE_ENTRY,
      serverAccessLogsBucket: logs,
    });

    // A two-stage query: internal stream, stage-2 function and mapping.
    new StreamingQuery(stack, 'PerCampaign', {
      queryName: 'per-campaign',
      query: readStream<{ user: string; campaign: string }>('clicks', { partitionKey: 'user' })
        .groupBy('campaign')
        .agg({ n: count() })
        .writeStream.queryName('per-campaign')
        .outputMode('update')
        .build(),
      entry: FIXTURE_ENTRY,
    });

    // A join of two streams through the exchange: one stage 1 per stream, one mapping each.
    new StreamingQuery(stack, 'Paid', {
      queryName: 'paid',
      query: readStream<{ orderId: string }>('orders', { partitionKey: 'orderId' })
        .alias('o')
        .join(
          readStream<{ paymentId: string; payOrderId: string }>('payments', {
            partitionKey: 'paymentId',
          }).alias('p'),
          expr('o.orderId = p.payOrderId'),
        )
        .writeStream.queryName('paid')
        .build(),
      sourceStreams: {
        orders: new Stream(stack, 'OrdersStream', { encryption: StreamEncryption.MANAGED }),
        payments: new Stream(stack, 'PaymentsStream', { encryption: StreamEncryption.MANAGED }),
      },
      entry: FIXTURE_ENTRY,
    });

    const violations = new AwsSolutionsChecks().validateScope(app).violations;
    expect(
      violations.map(
        (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);

    const acknowledged = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.map(([id]) => id.replace(/^annotation::/i, '')).sort()).toEqual(
      expect.arrayContaining([
        'AwsSolutions-L1',
        'AwsSolutions-SQS3',
        'AwsSolutions-S1',
        'AwsSolutions-IAM5[Resource::<PageViewsOutputBucket4E6DF59C.Arn>/sluice/page-views/*]',
      ]),
    );
    for (const [id, reason] of acknowledged) expect(reason.length, id).toBeGreaterThan(40);

    // The registered plugin (the way infra/app.ts runs it) passes synthesis too.
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    // Every construct shape with CloudFormation validation: about a minute on a loaded machine.
  }, 180_000);

  it('still reports findings in this setup (the check is live)', () => {
    const { app, stack } = newStack();
    new Bucket(stack, 'Raw');
    const rules = new AwsSolutionsChecks().validateScope(app).violations.map((v) => v.ruleName);
    expect(rules).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
  });
});

describe('bundling', () => {
  it('bundles both functions with the local esbuild (no Docker) into ESM with source maps', () => {
    const { app, stack } = newStack({ bundle: true });
    pageViews(stack);
    const assembly = app.synth();
    const template = Template.fromJSON(assembly.getStackByName(stack.stackName).template);
    // Each function's code is the asset `asset.<hash>` of its S3 key `<hash>.zip`.
    const files = Object.values(template.findResources(FUNCTION)).map((fn) => {
      const key = (fn as { Properties: { Code: { S3Key: string } } }).Properties.Code.S3Key;
      return join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`);
    });
    expect(files).toHaveLength(2);
    for (const folder of files) {
      expect(existsSync(join(folder, 'index.mjs')), folder).toBe(true);
      expect(existsSync(join(folder, 'index.mjs.map')), folder).toBe(true);
      expect(statSync(join(folder, 'index.mjs')).size).toBeGreaterThan(0);
    }
    const bundles = files.map((folder) => readFileSync(join(folder, 'index.mjs'), 'utf8'));
    expect(bundles.some((code) => code.includes(HEARTBEAT_PARTITION_KEY))).toBe(true);
    // The query function ships the SQL parser's WebAssembly module, which the engine loads at run time.
    const wasm = 'node_modules/@guanmingchiu/sqlparser-ts/wasm/sqlparser_rs_wasm_bg.wasm';
    expect(files.filter((folder) => existsSync(join(folder, wasm)))).toHaveLength(1);
  }, 120_000);
});
