import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, errorLines, runCli } from './run-cli.js';

/**
 * Bad input to each command that needs no running stack: a one-line error on standard error that
 * says the fix, and a non-zero exit status (2 for usage and input, 1 otherwise).
 */
describe('sluice CLI errors', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let events: string;
  // Port 9 (discard) has no listener on loopback: connections are refused at once.
  const unreachable = ['--aws', '--endpoint-url', 'http://127.0.0.1:9', '--region', 'us-east-1'];
  const fake = { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_MAX_ATTEMPTS: '1' };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-cli-errors-'));
    env = cleanEnv({ SLUICE_STATE_DIR: join(dir, 'state'), ...fake });
    events = join(dir, 'events.jsonl');
    await writeFile(events, '{"page":"/","user":"ann","ts":1}\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const cases: [string, () => string[], number, RegExp][] = [
    [
      'push to an unreachable endpoint',
      () => ['push', 'page-views', events, '-k', 'page', ...unreachable],
      1,
      /^sluice: Cannot reach Kinesis at http:\/\/127\.0\.0\.1:9: ECONNREFUSED; start the service there, or unset AWS_ENDPOINT_URL \/ --endpoint-url\.$/,
    ],
    [
      'query an unreachable endpoint',
      () => ['query', 'page-views', '--bucket', 'outputs', ...unreachable],
      1,
      /^sluice: Cannot reach S3 at http:\/\/127\.0\.0\.1:9: ECONNREFUSED; /,
    ],
    [
      'status against an unreachable endpoint',
      () => ['status', 'page-views', '--table', 'state', ...unreachable],
      1,
      /^sluice: Cannot reach DynamoDB at http:\/\/127\.0\.0\.1:9: ECONNREFUSED; /,
    ],
    [
      'query on AWS without a bucket',
      () => ['query', 'page-views', '--aws', '--region', 'us-east-1'],
      2,
      /^sluice: No output bucket given: pass --bucket or set SLUICE_BUCKET \(or run `sluice local up` to use the local stack\)\.$/,
    ],
    [
      'status on AWS without a table',
      () => ['status', 'page-views', '--aws', '--region', 'us-east-1'],
      2,
      /^sluice: No state table given: pass --table or set SLUICE_TABLE /,
    ],
    [
      'status on AWS without a query',
      () => ['status', '--aws', '--region', 'us-east-1'],
      2,
      /^sluice: No query named: on AWS name it, as in `sluice status page-views --table TABLE --stream STREAM --bucket BUCKET`\.$/,
    ],
    [
      'a bad --timeout',
      () => ['status', '--wait', '--timeout', 'soon'],
      2,
      /^sluice: Invalid --timeout "soon": give a positive number of seconds\.$/,
    ],
    [
      'a bad --endpoint-url',
      () => ['query', 'page-views', '--aws', '--endpoint-url', 'localhost:4566'],
      2,
      /^sluice: Invalid --endpoint-url "localhost:4566": use an http\(s\) URL such as http:\/\/localhost:4566\.$/,
    ],
    [
      'an unknown format',
      () => ['query', 'page-views', '--format', 'xml'],
      2,
      /^sluice: option '-f, --format <format>' argument 'xml' is invalid\. Allowed choices are table, json, jsonl, csv\. \(see --help\)$/,
    ],
    [
      'local up with an app that does not exist',
      () => ['local', 'up', '--app', 'infra/nope.ts'],
      2,
      /^sluice: CDK app .*infra\/nope\.ts does not exist: pass --app PATH to your app's entry file\.$/,
    ],
    ['a missing argument', () => ['push'], 2, /^sluice: missing required argument 'stream' \(see --help\)$/],
    [
      'an unknown command',
      () => ['pussh'],
      2,
      /^sluice: unknown command 'pussh' \(Did you mean push\?\) \(see --help\)$/,
    ],
    [
      '--local without a local stack',
      () => ['query', 'page-views', '--local'],
      1,
      /^sluice: The local stack is not running \(no .*local\.json\): start it with `sluice local up`\.$/,
    ],
  ];

  it.concurrent.each(cases.map(([name, args, code, message]) => ({ name, args, code, message })))(
    '$name',
    async ({ args, code, message }) => {
      const run = await runCli(args(), { env, timeoutMs: 30_000 });
      expect(run.code).toBe(code);
      expect(errorLines(run)).toHaveLength(1);
      expect(errorLines(run)[0]).toMatch(message);
    },
    30_000,
  );

  it('a stale .sluice/local.json says to start the stack again or delete the file', async () => {
    const stateDir = join(dir, 'stale');
    const state = {
      formatVersion: 1,
      pid: 2 ** 22 + 12345, // above Linux's pid_max: no such process
      startedAt: new Date().toISOString(),
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      endpoints: { kinesis: 'http://127.0.0.1:9', dynamodb: 'http://127.0.0.1:9', s3: 'http://127.0.0.1:9' },
      queries: [],
    };
    await rm(stateDir, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(stateDir, { recursive: true }));
    await writeFile(join(stateDir, 'local.json'), JSON.stringify(state));
    const run = await runCli(['status'], { env: { ...env, SLUICE_STATE_DIR: stateDir }, timeoutMs: 30_000 });
    expect(run.code).toBe(1);
    expect(errorLines(run)).toEqual([
      `sluice: The local stack is not running (${join(stateDir, 'local.json')} is stale: process ${state.pid} is gone): start it with \`sluice local up\` or delete ${join(stateDir, 'local.json')}.`,
    ]);
    // `local down` cleans it up.
    const down = await runCli(['local', 'down'], {
      env: { ...env, SLUICE_STATE_DIR: stateDir },
      timeoutMs: 30_000,
    });
    expect(down.code).toBe(0);
    expect(down.stdout).toBe('no local stack running\n');
  }, 60_000);

  it('--help works on every command', async () => {
    const commands = [
      [],
      ['local'],
      ['local', 'run'],
      ['local', 'up'],
      ['local', 'down'],
      ['push'],
      ['query'],
      ['status'],
    ];
    const runs = await Promise.all(
      commands.map((command) => runCli([...command, '--help'], { env, timeoutMs: 30_000 })),
    );
    runs.forEach((run, i) => {
      expect(run.code, commands[i]!.join(' ')).toBe(0);
      expect(run.stdout).toMatch(/^Usage: sluice/);
    });
  }, 60_000);
});
