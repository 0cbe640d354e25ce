import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { LocalFunction } from '../../../local/provision/index.js';
import { FunctionPool } from '../../../local/runner/function-pool.js';

const CRASH_PROBE = fileURLToPath(new URL('./fixtures/crash-probe.ts', import.meta.url));

const fn = (overrides: Partial<LocalFunction> = {}): LocalFunction => ({
  logicalId: 'Probe',
  name: 'Stack-Probe',
  arn: 'arn:aws:lambda:us-east-1:000000000000:function:Stack-Probe',
  entry: CRASH_PROBE,
  exportName: 'handler',
  query: undefined,
  role: undefined,
  timeoutMs: 5_000,
  memoryMb: 128,
  runtime: 'nodejs22.x',
  environment: {},
  roleArn: 'arn:aws:iam::000000000000:role/Stack-ProbeRole',
  ...overrides,
});

describe('FunctionPool (one worker per execution environment)', () => {
  const pools: FunctionPool[] = [];
  const pool = (overrides: Partial<LocalFunction> = {}) => {
    const created = new FunctionPool(fn(overrides), {
      env: { PROBE_TAG: 'tagged', AWS_REGION: 'eu-west-1' },
      initTimeoutMs: 20_000,
      onOutput: () => {},
    });
    pools.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((p) => p.stop()));
  });

  it('keeps module state in a warm instance and returns the response as JSON', async () => {
    const probe = pool();
    const first = await probe.invoke({ echo: 'a' });
    const second = await probe.invoke({ echo: 'b' });
    expect([first.coldStart, second.coldStart]).toEqual([true, false]);
    expect(first.value).toEqual({
      echo: 'a',
      calls: 1,
      tag: 'tagged',
      region: 'eu-west-1',
      at: '1970-01-01T00:00:00.000Z',
    });
    expect(second.value).toMatchObject({ calls: 2 });
    expect(first.initMs).toBeGreaterThan(0);
  });

  it('runs concurrent invocations in separate instances, each with its own cold start', async () => {
    const probe = pool();
    const results = await Promise.all([probe.invoke({ echo: 'x' }), probe.invoke({ echo: 'y' })]);
    expect(results.map((r) => (r.value as { calls: number }).calls)).toEqual([1, 1]);
    expect(probe.stats()).toMatchObject({ coldStarts: 2, instances: 2 });
  });

  it('reports a crashed runtime as a function error and starts a fresh instance next time', async () => {
    const probe = pool();
    const crashed = await probe.invoke({ crash: true });
    expect(crashed.ok).toBe(false);
    expect(crashed.error?.errorType).toBe('Runtime.ExitError');
    const next = await probe.invoke({ echo: 'again' });
    expect(next).toMatchObject({ ok: true, coldStart: true, value: { calls: 1 } });
  });

  it('reports an unhandled rejection as a crash, like the Lambda runtime', async () => {
    const result = await pool().invoke({ unhandled: true });
    expect(result.ok).toBe(false);
    expect(result.error?.errorType).toBe('Runtime.ExitError');
    expect(result.error?.errorMessage).toMatch(/nobody awaits this/);
  });

  it('supports callback-style handlers', async () => {
    const result = await pool({ exportName: 'callbackHandler' }).invoke({ echo: 'cb' });
    expect(result).toMatchObject({ ok: true, value: { echo: 'cb' } });
  });

  it('fails the init phase with a message naming a missing export', async () => {
    const result = await pool({ exportName: 'nope' }).invoke({});
    expect(result.ok).toBe(false);
    expect(result.error).toMatchObject({ errorType: 'TypeError' });
    expect(result.error?.errorMessage).toMatch(/does not export a function named 'nope'/);
  });
});
