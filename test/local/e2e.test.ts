import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { App, Stack } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3OutputReader } from '../../engine/aws/s3/output-reader.js';
import {
  type Emulators,
  type KinesisEngine,
  S3RVER_CREDENTIALS,
  startLocalStack,
} from '../../local/emulators/index.js';
import { type LocalDeployment, startLocalDeployment } from '../../local/index.js';
import {
  closedWindowCounts,
  HOUR,
  MINUTE,
  type Order,
  orderPhases,
  pageViewPhases,
  putInOrder,
  T0,
} from './e2e-inputs.js';

/** The example app's stack (infra/example-queries-stack.ts; infra/app.ts synthesizes it for `cdk`). */
async function exampleApp(): Promise<(app: App) => Stack> {
  const { ExampleQueriesStack } = await import('../../infra/example-queries-stack.js');
  return (app) => new ExampleQueriesStack(app, 'SluiceExamples');
}

async function deploy(kinesis: KinesisEngine, emulators?: Emulators): Promise<LocalDeployment> {
  const started = performance.now();
  const app = await exampleApp();
  const imported = performance.now();
  const local = await startLocalDeployment({
    app,
    kinesis,
    ...(emulators === undefined ? {} : { emulators }),
    runner: {
      // TypeScript is compiled on a function's first import: give a busy machine more than Lambda's 10 s.
      initTimeoutMs: 60_000,
      // Functions log every batch (Powertools); keep them quiet unless something fails.
      environment: { POWERTOOLS_LOG_LEVEL: 'ERROR' },
      // Heartbeats only when a test ticks, with the quiet threshold of a 60× faster schedule (1 s).
      schedules: false,
      scheduleSpeedUp: 60,
    },
  });
  console.info(
    `${kinesis}: import the stack ${(imported - started).toFixed(0)} ms, emulators ${JSON.stringify(local.emulators.startupMs)}, ` +
      `synth ${local.resources.synthMs.toFixed(0)} ms, provision ${local.resources.provisionMs.toFixed(0)} ms, total ${(performance.now() - started).toFixed(0)} ms`,
  );
  return local;
}

/** Each phase is put after the runner caught up with the one before: batch boundaries cannot blur them. */
async function runPhases(
  local: LocalDeployment,
  stream: string,
  phases: readonly Parameters<typeof putInOrder>[2][],
) {
  for (const phase of phases) {
    await putInOrder(local.emulators.clients.kinesis, stream, phase);
    await local.runner.runUntilCaughtUp({ timeoutMs: 30_000 });
  }
}

/** The rows of every object the orders' foreachBatch wrote, as listed by the manifests. */
async function foreachBatchRows(
  local: LocalDeployment,
  reader: S3OutputReader,
  bucket: string,
  root: string,
) {
  const manifests = await reader.manifests();
  const rows: Order[] = [];
  for (const manifest of manifests) {
    for (const object of manifest.objects) {
      expect(object.key).toMatch(/^orders\/batch-\d{20}-shardId-\d{12}\.jsonl$/);
      const got = await local.emulators.clients.s3.send(
        new GetObjectCommand({ Bucket: bucket, Key: `${root}/${object.key}` }),
      );
      const text = await got.Body!.transformToString();
      rows.push(
        ...text
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as Order),
      );
    }
  }
  return { manifests, rows };
}

const sortOrders = (orders: readonly Order[]) =>
  [...orders].sort((a, b) => a.orderId.localeCompare(b.orderId) || a.ts - b.ts);

describe('end to end on kinesalite: the example app synthesized, provisioned and run locally', () => {
  let local: LocalDeployment;
  beforeAll(async () => {
    local = await deploy('kinesalite');
  });
  afterAll(() => local?.stop());

  it('page views: windows of out-of-order, duplicate and on-time views are counted once each; late and malformed ones are not', async () => {
    const q = local.resources.queries['page-views']!;
    expect(q.shardCount).toBe(2);
    const input = pageViewPhases(3_000);
    const started = performance.now();
    await runPhases(local, q.stream, input.phases);
    const elapsedMs = performance.now() - started;
    const records = input.phases.reduce((total, phase) => total + phase.length, 0);

    const reader = new S3OutputReader({
      client: local.emulators.clients.s3,
      bucket: q.bucket,
      prefix: q.prefix,
      query: q.query,
    });
    const rows = await reader.readRows();
    const actual = new Map(
      rows.map((row) => [`${(row.window as { start: number }).start}|${row.page}`, Number(row.views)]),
    );
    const finalWatermark = T0 + 48 * HOUR - 10 * MINUTE;
    expect(actual).toEqual(closedWindowCounts(input.accepted, finalWatermark));
    expect(rows).toHaveLength(actual.size); // append: each window once
    expect((await reader.readDeadLetters()).length).toBe(input.malformed);

    const stats = local.runner.stats();
    expect(stats.functionErrors).toBe(0);
    expect(stats.discardedBatches).toBe(0);
    console.info(
      `page-views: ${records} records through 2 shards in ${elapsedMs.toFixed(0)} ms (${((records / elapsedMs) * 1000).toFixed(0)} records/s incl. 4 catch-ups), ` +
        `${stats.invocations} invocations; synth ${local.resources.synthMs.toFixed(0)} ms, provision ${local.resources.provisionMs.toFixed(0)} ms`,
    );
  });

  it('orders: retried orders are written once (the first wins) by foreachBatch, until the watermark expires their state', async () => {
    const q = local.resources.queries.orders!;
    const input = orderPhases(60);
    await runPhases(local, q.stream, input.phases);
    const reader = new S3OutputReader({
      client: local.emulators.clients.s3,
      bucket: q.bucket,
      prefix: q.prefix,
      query: q.query,
    });
    const { manifests, rows } = await foreachBatchRows(local, reader, q.bucket, `${q.prefix}/${q.query}`);
    expect(sortOrders(rows)).toEqual(sortOrders(input.expected));
    expect(manifests.every((m) => m.sink === 'foreachBatch')).toBe(true);
    expect(manifests.reduce((total, m) => total + m.totalRows, 0)).toBe(input.expected.length);
    expect((await reader.readDeadLetters()).length).toBe(input.malformed);
  });

  it('heartbeat tick: quiet shards get heartbeat records, which the query function takes without output or errors', async () => {
    const q = local.resources.queries['page-views']!;
    const reader = new S3OutputReader({
      client: local.emulators.clients.s3,
      bucket: q.bucket,
      prefix: q.prefix,
      query: q.query,
    });
    const before = {
      rows: (await reader.readRows()).length,
      dead: (await reader.readDeadLetters()).length,
      stats: local.runner.stats(),
    };
    await sleep(1_100); // every shard has been quiet for longer than SLUICE_QUIET_MS (60 s / 60)
    await local.runner.tick(q.heartbeatFunction);
    await local.runner.runUntilCaughtUp({ timeoutMs: 20_000 });
    const after = local.runner.stats();
    // Each page-views shard got one heartbeat record (and nothing else arrived).
    const pageShards = (s: typeof after) => s.shards.filter((shard) => shard.mapping.startsWith('PageViews'));
    const read = (s: typeof after) => pageShards(s).reduce((total, shard) => total + shard.recordsRead, 0);
    expect(read(after) - read(before.stats)).toBe(q.shardCount);
    expect(after.functionErrors).toBe(0);
    expect((await reader.readRows()).length).toBe(before.rows);
    expect((await reader.readDeadLetters()).length).toBe(before.dead); // heartbeats are never input
  });
});

describe('end to end on kinesis-local (kinesis-mock)', () => {
  let local: LocalDeployment;
  beforeAll(async () => {
    local = await deploy('kinesis-local');
  });
  afterAll(() => local?.stop());

  it('orders: a small run gives the same output as on kinesalite', async () => {
    const q = local.resources.queries.orders!;
    const input = orderPhases(12);
    await runPhases(local, q.stream, input.phases);
    const reader = new S3OutputReader({
      client: local.emulators.clients.s3,
      bucket: q.bucket,
      prefix: q.prefix,
      query: q.query,
    });
    const { rows } = await foreachBatchRows(local, reader, q.bucket, `${q.prefix}/${q.query}`);
    expect(sortOrders(rows)).toEqual(sortOrders(input.expected));
    expect((await reader.readDeadLetters()).length).toBe(input.malformed);
  });
});

describe('end to end on LocalStack (testcontainers)', () => {
  it('orders: the same run on LocalStack when a container runtime is available', {
    timeout: 600_000,
  }, async (ctx) => {
    const localstack = await startLocalStack({ region: 'us-east-1', credentials: S3RVER_CREDENTIALS });
    if (!localstack.available) {
      // Skipped, never passed: the reason is reported (e.g. "Could not find a working container runtime strategy").
      return ctx.skip(`no container runtime for LocalStack: ${localstack.reason}`);
    }
    const local = await deploy('kinesalite', localstack.emulators);
    try {
      const q = local.resources.queries.orders!;
      const input = orderPhases(12);
      await runPhases(local, q.stream, input.phases);
      const reader = new S3OutputReader({
        client: local.emulators.clients.s3,
        bucket: q.bucket,
        prefix: q.prefix,
        query: q.query,
      });
      const { rows } = await foreachBatchRows(local, reader, q.bucket, `${q.prefix}/${q.query}`);
      expect(sortOrders(rows)).toEqual(sortOrders(input.expected));
      expect((await reader.readDeadLetters()).length).toBe(input.malformed);
    } finally {
      await local.stop();
      await localstack.emulators.stop();
    }
  });
});
