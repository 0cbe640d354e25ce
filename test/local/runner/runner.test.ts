import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Duration } from 'aws-cdk-lib';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, startEmulators } from '../../../local/emulators/index.js';
import { type Provisioned, provisionApp } from '../../../local/provision/index.js';
import { createLocalRunner, type LocalRunner } from '../../../local/runner/index.js';
import {
  HIGH_HASH_KEY,
  LOW_HASH_KEY,
  type ProbeCall,
  probeCalls,
  probeStack,
  put,
  type Scenario,
  tickEvents,
} from './probe-stack.js';
import { expectParentsBeforeChildren } from './reshard.js';

const report = { reportBatchItemFailures: true, startingPosition: StartingPosition.TRIM_HORIZON };
const SCENARIOS: Record<string, Scenario> = {
  Shape: { mapping: { ...report, batchSize: 10, maxBatchingWindow: Duration.seconds(0) } },
  Batching: { mapping: { ...report, batchSize: 10 } },
  Window: { mapping: { ...report, batchSize: 100, maxBatchingWindow: Duration.seconds(2) } },
  Concurrency: { shards: 2, mapping: { ...report, batchSize: 1 } },
  Bisect: {
    onFailureQueue: true,
    mapping: { ...report, batchSize: 8, bisectBatchOnError: true, retryAttempts: 2 },
  },
  Partial: { mapping: { ...report, batchSize: 6, retryAttempts: 10 } },
  Exhausted: { mapping: { ...report, batchSize: 3, retryAttempts: 1 } },
  Timeout: { timeout: Duration.seconds(1), mapping: { ...report, batchSize: 1 } },
  Age: { mapping: { ...report, batchSize: 10, maxRecordAge: Duration.seconds(60) } },
  Latest: { mapping: { ...report, batchSize: 10, startingPosition: StartingPosition.LATEST } },
  Reshard: { mapping: { ...report, batchSize: 2 } },
};

const seqsOf = (calls: readonly ProbeCall[]) => calls.map((call) => call.seqs);

describe('the local event source mapping runner', () => {
  let aws: Emulators;
  let resources: Provisioned;
  let runner: LocalRunner;
  let logDir: string;
  let clockSkewMs = 0;
  const stream = (id: string) =>
    resources.streams[Object.keys(resources.streams).find((k) => k.startsWith(`${id}Stream`))!]!.name;
  const functionId = (id: string) =>
    Object.keys(resources.functions).find((k) => k.startsWith(`${id}Function`))!;
  const calls = (id: string) => probeCalls(logDir, id);

  beforeAll(async () => {
    logDir = mkdtempSync(join(tmpdir(), 'sluice-runner-test-'));
    process.env.SLUICE_TEST_PARENT_ONLY = 'leaked';
    aws = await startEmulators({ backend: 'emulators' });
    resources = await provisionApp({ app: (app) => probeStack(app, logDir, SCENARIOS), emulators: aws });
    runner = createLocalRunner({
      resources,
      emulators: aws,
      retryBackoff: { initialMs: 20, maxMs: 100 },
      initTimeoutMs: 60_000,
      scheduleSpeedUp: 60,
      now: () => Date.now() + clockSkewMs,
    });
    // Put before the runner starts: a LATEST mapping must skip these.
    await put(aws.clients.kinesis, stream('Latest'), [{ old: 1 }, { old: 2 }]);
    runner.start();
    await runner.runUntilCaughtUp({ timeoutMs: 20_000 });
  });
  afterAll(async () => {
    await runner?.stop();
    await aws?.stop();
    delete process.env.SLUICE_TEST_PARENT_ONLY;
    rmSync(logDir, { recursive: true, force: true });
  });

  it('delivers the exact Lambda event shape, a counting-down context and only the function environment', async () => {
    const before = Date.now();
    const [seq] = await put(aws.clients.kinesis, stream('Shape'), [{ hello: 'world' }]);
    await runner.runUntilCaughtUp({ timeoutMs: 10_000 });
    const [call] = calls('Shape');
    const fn = resources.functions[functionId('Shape')]!;
    const streamArn = resources.eventSourceMappings.find(
      (m) => m.functionLogicalId === fn.logicalId,
    )!.streamArn;
    expect(Object.keys(call!.first)).toEqual([
      'kinesis',
      'eventSource',
      'eventVersion',
      'eventID',
      'eventName',
      'invokeIdentityArn',
      'awsRegion',
      'eventSourceARN',
    ]);
    expect(call!.first).toMatchObject({
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${seq}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: fn.roleArn,
      awsRegion: 'us-east-1',
      eventSourceARN: streamArn,
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'pk',
        sequenceNumber: seq,
        data: Buffer.from(JSON.stringify({ hello: 'world' })).toString('base64'),
      },
    });
    expect(streamArn).toBe(`arn:aws:kinesis:us-east-1:000000000000:stream/${stream('Shape')}`);
    expect(fn.roleArn).toMatch(/^arn:aws:iam::000000000000:role\/Probes-ShapeFunctionServiceRole/);
    const arrival = call!.first.kinesis.approximateArrivalTimestamp as number;
    expect(arrival).toBeGreaterThan(before / 1000 - 1);
    expect(arrival).toBeLessThan(Date.now() / 1000 + 1);
    expect(call!.remainingAtStart).toBeLessThanOrEqual(30_000);
    expect(call!.remainingAtStart).toBeGreaterThan(25_000);
    expect(call!.functionName).toBe(fn.name);
    expect(call!.tag).toBe('Shape');
    expect(call!.parentOnly).toBeUndefined(); // nothing of the runner's own environment leaks in
  });

  it('cuts batches at BatchSize, in sequence order, one shard at a time', async () => {
    const seqs = await put(
      aws.clients.kinesis,
      stream('Batching'),
      Array.from({ length: 25 }, (_, i) => ({ i })),
    );
    await runner.runUntilCaughtUp({ timeoutMs: 10_000 });
    expect(seqsOf(calls('Batching'))).toEqual([seqs.slice(0, 10), seqs.slice(10, 20), seqs.slice(20)]);
  });

  it('waits up to MaximumBatchingWindowInSeconds to gather a batch', async () => {
    const first = await put(aws.clients.kinesis, stream('Window'), [{ a: 1 }, { a: 2 }, { a: 3 }]);
    await sleep(300);
    const second = await put(aws.clients.kinesis, stream('Window'), [{ b: 1 }, { b: 2 }, { b: 3 }]);
    await runner.runUntilCaughtUp({ timeoutMs: 10_000 });
    expect(seqsOf(calls('Window'))).toEqual([[...first, ...second]]);
  });

  it('keeps one invocation in flight per shard while shards run in parallel', async () => {
    const slow = Array.from({ length: 3 }, () => ({ sleepMs: 250 }));
    await Promise.all([
      put(aws.clients.kinesis, stream('Concurrency'), slow, LOW_HASH_KEY),
      put(aws.clients.kinesis, stream('Concurrency'), slow, HIGH_HASH_KEY),
    ]);
    await runner.runUntilCaughtUp({ timeoutMs: 10_000 });
    const all = calls('Concurrency');
    const byShard = new Map<string, ProbeCall[]>();
    for (const call of all) byShard.set(call.shard, [...(byShard.get(call.shard) ?? []), call]);
    expect([...byShard.keys()].sort()).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    for (const shardCalls of byShard.values()) {
      expect(shardCalls).toHaveLength(3);
      for (let i = 1; i < shardCalls.length; i++)
        expect(shardCalls[i]!.startedAt).toBeGreaterThanOrEqual(shardCalls[i - 1]!.endedAt!);
    }
    const [a, b] = [...byShard.values()] as [ProbeCall[], ProbeCall[]];
    const overlap = a.some((x) => b.some((y) => x.startedAt < y.endedAt! && y.startedAt < x.endedAt!));
    expect(overlap).toBe(true); // two shards: two execution environments at once
    expect(runner.stats().functions[functionId('Concurrency')]!.coldStarts).toBe(2);
  });

  it('bisects a failing batch, retries up to MaximumRetryAttempts, and sends the poison record to the on-failure destination', async () => {
    const payloads = Array.from({ length: 8 }, (_, i) => (i === 5 ? { throws: true } : { i }));
    const s = await put(aws.clients.kinesis, stream('Bisect'), payloads);
    await runner.runUntilCaughtUp({ timeoutMs: 10_000 });
    expect(seqsOf(calls('Bisect'))).toEqual([
      s, // error → halves
      s.slice(0, 4),
      s.slice(4, 8), // error → halves
      s.slice(4, 6), // error → halves
      [s[4]],
      [s[5]], // error: attempt 1
      [s[5]], // attempt 2
      [s[5]], // attempt 3 > MaximumRetryAttempts 2: discarded
      s.slice(6, 8),
    ]);
    const failed = runner.failedBatches().filter((batch) => batch.mapping.startsWith('BisectMapping'));
    expect(failed).toHaveLength(1);
    expect(failed[0]!.destination).toMatch(/^arn:aws:sqs:us-east-1:000000000000:Probes-BisectFailed/);
    expect(failed[0]!.record).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      responseContext: { functionError: 'Unhandled' },
      version: '1.0',
      KinesisBatchInfo: {
        shardId: 'shardId-000000000000',
        startSequenceNumber: s[5],
        endSequenceNumber: s[5],
        batchSize: 1,
      },
    });
  });

  it('checkpoints partial batch responses, and retries a whole batch for an unknown item identifier', async () => {
    const s = await put(aws.clients.kinesis, stream('Partial'), [{}, {}, {}, { failTimes: 2 }, {}, {}]);
    await runner.runUntilCaughtUp({ timeoutMs: 10_000 });
    expect(seqsOf(calls('Partial'))).toEqual([s, s.slice(3), s.slice(3)]);

    const t = await put(aws.clients.kinesis, stream('Partial'), [{ bogus: 1 }, {}]);
    await runner.runUntilCaughtUp({ timeoutMs: 10_000 });
    expect(seqsOf(calls('Partial')).slice(3)).toEqual([t, t]);
  });

  it('discards the failed rest of a batch once partial failures exhaust the retries', async () => {
    const s = await put(aws.clients.kinesis, stream('Exhausted'), [{}, { failAlways: true }, {}]);
    await runner.runUntilCaughtUp({ timeoutMs: 10_000 });
    expect(seqsOf(calls('Exhausted'))).toEqual([s, s.slice(1)]);
    const failed = runner.failedBatches().filter((batch) => batch.mapping.startsWith('ExhaustedMapping'));
    expect(failed.map((batch) => batch.record.KinesisBatchInfo)).toMatchObject([
      { startSequenceNumber: s[1], endSequenceNumber: s[2], batchSize: 2 },
    ]);
    expect(failed[0]!.record.requestContext.approximateInvokeCount).toBe(2);
  });

  it('times out an invocation at the function Timeout, replaces its execution environment, and retries', async () => {
    const [seq] = await put(aws.clients.kinesis, stream('Timeout'), [{ sleepMs: 2_500, sleepTimes: 1 }]);
    await runner.runUntilCaughtUp({ timeoutMs: 15_000 });
    const [timedOut, retried] = calls('Timeout');
    expect([timedOut?.seqs, retried?.seqs]).toEqual([[seq], [seq]]);
    expect(timedOut!.endedAt).toBeUndefined();
    expect(retried!.instance).not.toBe(timedOut!.instance);
    expect(retried!.remainingAtStart).toBeLessThanOrEqual(1_000);
    expect(retried!.remainingAtStart).toBeGreaterThan(500);
    const stats = runner.stats().functions[functionId('Timeout')]!;
    expect(stats).toMatchObject({ timeouts: 1, coldStarts: 2 });
  });

  it('discards records older than MaximumRecordAgeInSeconds without invoking', async () => {
    clockSkewMs = 61_000;
    try {
      const s = await put(aws.clients.kinesis, stream('Age'), [{}, {}]);
      await runner.runUntilCaughtUp({ timeoutMs: 10_000 });
      expect(calls('Age')).toEqual([]);
      const failed = runner.failedBatches().filter((batch) => batch.mapping.startsWith('AgeMapping'));
      expect(failed.map((batch) => batch.record.requestContext.condition)).toEqual(['RecordAgeExceeded']);
      expect(failed[0]!.record.KinesisBatchInfo).toMatchObject({
        startSequenceNumber: s[0],
        endSequenceNumber: s[1],
      });
    } finally {
      clockSkewMs = 0;
    }
  });

  it('starts a LATEST mapping at the tip: records put before it started are skipped', async () => {
    const s = await put(aws.clients.kinesis, stream('Latest'), [{ fresh: 1 }]);
    await runner.runUntilCaughtUp({ timeoutMs: 10_000 });
    expect(seqsOf(calls('Latest'))).toEqual([s]);
  });

  it('reads parent shards to their end before their children, across a split and a merge', async () => {
    await expectParentsBeforeChildren(aws.clients.kinesis, runner, stream('Reshard'), () => calls('Reshard'));
    expect(
      runner
        .stats()
        .shards.filter((s) => s.mapping.startsWith('ReshardMapping'))
        .map((s) => s.state),
    ).toEqual(['done', 'done', 'done', 'reading']);
  });

  it('ticks scheduled rules at their rate divided by the speed-up, with a Scheduled Event', async () => {
    const before = tickEvents(logDir).length;
    await runner.tick();
    expect(tickEvents(logDir).length).toBe(before + 1);
    await sleep(2_200); // rate(1 minute) / 60: one tick a second
    const events = tickEvents(logDir);
    expect(events.length).toBeGreaterThanOrEqual(before + 3);
    expect(events.at(-1)!.event).toMatchObject({
      version: '0',
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '000000000000',
      region: 'us-east-1',
      detail: {},
    });
    expect(events.at(-1)!.event.resources[0]).toMatch(
      /^arn:aws:events:us-east-1:000000000000:rule\/Probes-TickRule/,
    );
  });

  it('resumes from its checkpoints after stop() and start(), with fresh execution environments', async () => {
    const before = calls('Batching').length;
    await runner.stop();
    const s = await put(aws.clients.kinesis, stream('Batching'), [{ again: 1 }, { again: 2 }]);
    runner.start();
    await runner.runUntilCaughtUp({ timeoutMs: 10_000 });
    const after = calls('Batching').slice(before);
    expect(seqsOf(after)).toEqual([s]);
    expect(after[0]!.instance).not.toBe(calls('Batching')[0]!.instance);
  });

  it('stops without waiting for an invocation in flight, which is delivered again after start()', async () => {
    const [seq] = await put(aws.clients.kinesis, stream('Batching'), [{ sleepMs: 20_000, sleepTimes: 1 }]);
    const started = calls('Batching').length;
    for (let i = 0; i < 500 && calls('Batching').length === started; i++) await sleep(20);
    const stopping = performance.now();
    await runner.stop();
    expect(performance.now() - stopping).toBeLessThan(5_000);
    runner.start();
    await runner.runUntilCaughtUp({ timeoutMs: 10_000 });
    const after = calls('Batching').slice(started);
    expect(seqsOf(after)).toEqual([[seq], [seq]]);
    expect(after[0]!.endedAt).toBeUndefined(); // cut off by stop()
  });
});
