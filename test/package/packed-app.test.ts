import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanEnv, REPO_ROOT } from '../cli/run-cli.js';
import { installPacked } from './install-packed.js';

const exec = promisify(execFile);
const MINUTE = 60_000;

/**
 * What a new user does, offline: `npm pack` this repository, `sluice init` a new app, install the
 * tarball into it, then the app's own `npm test`, `npx cdk synth` (esbuild bundles the app's
 * handler, which imports `sluice/lambda`) and the local stack (`sluice local up`, `push`,
 * `status --wait`, `query`, `local down`), all from the compiled package.
 */
describe('the packed package in a new app', () => {
  let work: string;
  let app: string;
  let tarball: string;
  const timings: Record<string, number> = {};
  let appTest: Promise<{ stdout: string }>;
  let synth: Promise<unknown>;
  const env = cleanEnv({
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    npm_config_offline: 'true',
    npm_config_update_notifier: 'false',
  });

  async function timed<T>(step: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      return await run();
    } finally {
      timings[step] = Math.round(performance.now() - started);
    }
  }
  const inApp = (file: string, args: string[], timeout = 4 * MINUTE) =>
    exec(file, args, { cwd: app, env, timeout, maxBuffer: 64 * 1024 * 1024 });

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sluice-packed-'));
    app = join(work, 'my-app');
    const packed = await timed('npm pack (build)', () =>
      exec('npm', ['pack', '--pack-destination', work, '--json'], {
        cwd: REPO_ROOT,
        env,
        timeout: 6 * MINUTE,
        maxBuffer: 64 * 1024 * 1024,
      }),
    );
    tarball = join(work, (JSON.parse(packed.stdout) as [{ filename: string }])[0].filename);
    await timed('sluice init', () =>
      exec(process.execPath, [join(REPO_ROOT, 'bin/sluice.js'), 'init', app, '--sluice', `file:${tarball}`], {
        env,
      }),
    );
    await timed('install', () => installPacked(tarball, app, join(REPO_ROOT, 'node_modules')));
    // The app's own test and `cdk synth` do not touch each other's files: run them side by side
    // (the slowest steps; each test below awaits its own). Marked handled here, asserted there.
    appTest = timed('app npm test', () => inApp('npm', ['test']));
    synth = timed('cdk synth', () => inApp('npx', ['cdk', 'synth', '--no-notices', '-q']));
    appTest.catch(() => undefined);
    synth.catch(() => undefined);
  }, 8 * MINUTE);

  afterAll(async () => {
    process.stdout.write(`packed-app timings (ms): ${JSON.stringify(timings)}\n`);
    if (app !== undefined) await exec('npx', ['sluice', 'local', 'down'], { cwd: app, env }).catch(() => {});
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('ships the compiled entry points with types, the CLI, and no sources, tests or demo', async () => {
    const { stdout } = await exec('tar', ['-tzf', tarball]);
    const files = stdout
      .split('\n')
      .filter(Boolean)
      .map((file) => file.replace(/^package\//, ''));
    const pkg = JSON.parse(await readFile(join(app, 'node_modules/sluice/package.json'), 'utf8'));
    expect(pkg.private).toBeUndefined();
    for (const entry of Object.values(pkg.exports as Record<string, { types?: string; default?: string }>)) {
      if (typeof entry === 'string') continue;
      expect(files).toContain(entry.default!.replace(/^\.\//, ''));
      expect(files).toContain(entry.types!.replace(/^\.\//, ''));
    }
    expect(Object.keys(pkg.exports)).toEqual([
      '.',
      './testkit',
      './lambda',
      './cdk',
      './local',
      './package.json',
    ]);
    expect(files).toContain('bin/sluice.js');
    expect(
      files.filter((file) => /^(test|demo|bench|functions|engine|cli|infra|local)\//.test(file)),
    ).toEqual([]);
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    expect(pkg.peerDependencies).toMatchObject({
      'aws-cdk-lib': expect.any(String),
      constructs: expect.any(String),
    });
  });

  it('keeps the engine and test kit entries free of the AWS SDK and the CDK', async () => {
    const root = join(app, 'node_modules/sluice');
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    for (const entry of ['.', './testkit']) {
      const result = await build({
        entryPoints: [join(root, pkg.exports[entry].default)],
        bundle: true,
        platform: 'node',
        format: 'esm',
        packages: 'external',
        write: false,
        metafile: true,
        logLevel: 'silent',
      });
      const external = Object.values(result.metafile.inputs)
        .flatMap((input) => input.imports)
        .filter((imported) => imported.external)
        .map((imported) => imported.path);
      // The whole engine was followed (packages stay external: their own imports do not count).
      expect(Object.keys(result.metafile.inputs).length).toBeGreaterThan(entry === '.' ? 40 : 10);
      expect(
        external.filter((path) => /^(@aws-sdk|@smithy|aws-cdk-lib|@aws-lambda-powertools)/.test(path)),
      ).toEqual([]);
    }
  });

  it(
    "passes the new app's own npm test (type-check and the test kit)",
    async () => {
      const { stdout } = await appTest;
      expect(stdout).toMatch(/1 passed/);
    },
    5 * MINUTE,
  );

  it(
    'synthesizes the app with npx cdk synth, bundling its handler and the heartbeat with esbuild',
    async () => {
      await synth;
      const template = JSON.parse(await readFile(join(app, 'cdk.out/ClicksApp.template.json'), 'utf8'));
      const resources = Object.values(
        template.Resources as Record<string, { Type: string; Properties: any }>,
      );
      const functions = resources.filter((resource) => resource.Type === 'AWS::Lambda::Function');
      expect(functions.map((fn) => fn.Properties.Handler).sort()).toEqual(['index.handler', 'index.handler']);
      expect(resources.filter((resource) => resource.Type === 'AWS::Kinesis::Stream')).toHaveLength(1);
      expect(
        resources.filter((resource) => resource.Type === 'AWS::Lambda::EventSourceMapping'),
      ).toHaveLength(1);
      const bundles = (await readdir(join(app, 'cdk.out'))).filter((name) => name.startsWith('asset.'));
      expect(bundles).toHaveLength(2);
      const code = await Promise.all(
        bundles.map((dir) => readFile(join(app, 'cdk.out', dir, 'index.mjs'), 'utf8')),
      );
      // The Glue table's columns are inferred from the query the CDK app passes (window, page, count).
      const [table] = resources.filter((resource) => resource.Type === 'AWS::Glue::Table');
      expect(table?.Properties.TableInput.StorageDescriptor.Columns).toEqual([
        { Name: 'window', Type: 'struct<start:timestamp,end:timestamp>' },
        { Name: 'page', Type: 'string' },
        { Name: 'clicks', Type: 'bigint' },
      ]);
      // The query's bundle carries the user's query (its name and schema) and the engine.
      expect(code.some((text) => text.includes('clicks') && text.includes('SLUICE_TABLE'))).toBe(true);
    },
    5 * MINUTE,
  );

  it(
    'runs on the local stack: push the sample events, wait for the commit, query the windows',
    async () => {
      await timed('local up', () => inApp('npx', ['sluice', 'local', 'up']));
      try {
        await inApp('npx', ['sluice', 'push', 'clicks', 'events/clicks.jsonl']);
        await timed('status --wait', () => inApp('npx', ['sluice', 'status', '--wait', '--timeout', '120']));
        const { stdout } = await inApp('npx', ['sluice', 'query', 'clicks', '--format', 'json']);
        const rows = JSON.parse(stdout) as { page: string; clicks: number }[];
        // One event every 7 s from 00:00; the watermark (newest 00:09:55 - 5 min) closes the windows up
        // to 00:04:00, which hold the events at 0..238 s: 35 of them.
        expect(rows.reduce((sum, row) => sum + row.clicks, 0)).toBe(35);
        expect(new Set(rows.map((row) => row.page))).toEqual(new Set(['/home', '/cart']));
      } finally {
        await inApp('npx', ['sluice', 'local', 'down']);
      }
      expect(existsSync(join(app, '.sluice/local.json'))).toBe(false);
    },
    5 * MINUTE,
  );
});
