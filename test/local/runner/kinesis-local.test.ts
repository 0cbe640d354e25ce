import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulators, startEmulators } from '../../../local/emulators/index.js';
import { type Provisioned, provisionApp } from '../../../local/provision/index.js';
import { createLocalRunner, type LocalRunner } from '../../../local/runner/index.js';
import { probeCalls, probeStack, put } from './probe-stack.js';
import { expectParentsBeforeChildren } from './reshard.js';

// kinesis-local reports a closed shard's EndingSequenceNumber as Long.MaxValue and ends its
// iterators differently from kinesalite: the runner must still read parents to their end first.
describe('the runner on kinesis-local (kinesis-mock)', () => {
  let aws: Emulators;
  let resources: Provisioned;
  let runner: LocalRunner;
  let logDir: string;
  const stream = (id: string) =>
    Object.values(resources.streams).find((s) => s.logicalId.startsWith(`${id}Stream`))!.name;

  beforeAll(async () => {
    logDir = mkdtempSync(join(tmpdir(), 'sluice-runner-kl-'));
    aws = await startEmulators({ backend: 'emulators', kinesis: 'kinesis-local' });
    const report = { reportBatchItemFailures: true, startingPosition: StartingPosition.TRIM_HORIZON };
    resources = await provisionApp({
      app: (app) =>
        probeStack(app, logDir, {
          Reshard: { mapping: { ...report, batchSize: 2 } },
          Partial: { mapping: { ...report, batchSize: 6, retryAttempts: 10 } },
        }),
      emulators: aws,
    });
    runner = createLocalRunner({
      resources,
      emulators: aws,
      schedules: false,
      retryBackoff: { initialMs: 20, maxMs: 100 },
      initTimeoutMs: 60_000,
    });
    runner.start();
  });
  afterAll(async () => {
    await runner?.stop();
    await aws?.stop();
    rmSync(logDir, { recursive: true, force: true });
  });

  it('reads parent shards to their end before their children, across a split and a merge', async () => {
    await expectParentsBeforeChildren(aws.clients.kinesis, runner, stream('Reshard'), () =>
      probeCalls(logDir, 'Reshard'),
    );
  });

  it('checkpoints partial batch responses', async () => {
    const s = await put(aws.clients.kinesis, stream('Partial'), [{}, {}, { failTimes: 1 }, {}]);
    await runner.runUntilCaughtUp({ timeoutMs: 10_000 });
    expect(probeCalls(logDir, 'Partial').map((call) => call.seqs)).toEqual([s, s.slice(2)]);
  });
});
