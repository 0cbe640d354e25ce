/**
 * The files of a new sluice app (`sluice init`), as text. One example query (clicks per page per
 * minute) in the same layout as this repository: the query in `functions/queries/`, its two-line
 * handler in `functions/`, a CDK app with a StreamingQuery, a test with the test kit, sample events.
 */

/** The versions a new app depends on: sluice's own, and the ones sluice is built and tested with. */
export interface AppVersions {
  /** How the app's package.json names sluice (a version range, or e.g. `file:../sluice-0.1.0.tgz`). */
  readonly sluice: string;
  /** Versions of the other dependencies, by package name (from sluice's package.json). */
  readonly packages: Readonly<Record<string, string>>;
}

/** Packages of a new app besides sluice, all of which sluice itself is tested with. */
const APP_DEPENDENCIES = ['zod'] as const;
const APP_DEV_DEPENDENCIES = [
  '@types/node',
  'aws-cdk',
  'aws-cdk-lib',
  'constructs',
  'esbuild',
  'tsx',
  'typescript',
  'vitest',
] as const;

function pick(names: readonly string[], versions: AppVersions): Record<string, string> {
  return Object.fromEntries(
    names.map((name) => {
      const version = versions.packages[name];
      if (version === undefined) throw new Error(`sluice's package.json names no version of ${name}`);
      return [name, version];
    }),
  );
}

/** File path (relative to the app) → content. */
export function appFiles(name: string, versions: AppVersions): Record<string, string> {
  const packageJson = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      start: 'sluice local run',
      test: 'tsc --noEmit && vitest run',
      synth: 'cdk synth --no-notices',
    },
    dependencies: { sluice: versions.sluice, ...pick(APP_DEPENDENCIES, versions) },
    devDependencies: pick(APP_DEV_DEPENDENCIES, versions),
  };
  return {
    'package.json': `${JSON.stringify(packageJson, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify(TSCONFIG, null, 2)}\n`,
    'cdk.json': `${JSON.stringify(CDK_JSON, null, 2)}\n`,
    '.gitignore': 'node_modules/\ncdk.out/\n.sluice/\n',
    'functions/queries/clicks.ts': QUERY,
    'functions/clicks.ts': HANDLER,
    'infra/app.ts': CDK_APP,
    'test/clicks.test.ts': TEST,
    'events/clicks.jsonl': sampleEvents(),
    'README.md': readme(name),
  };
}

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    types: ['node'],
    strict: true,
    skipLibCheck: true,
    verbatimModuleSyntax: true,
    noEmit: true,
  },
  include: ['functions', 'infra', 'test'],
};

const CDK_JSON = {
  app: 'npx tsx infra/app.ts',
  watch: { include: ['infra/**', 'functions/**'], exclude: ['cdk.out', 'node_modules', 'test'] },
};

const QUERY = `import { count, readStream, window } from 'sluice';
import { z } from 'zod';

/** A click as producers put it on the \`clicks\` stream (partition key: \`page\`). */
export const clickSchema = z.object({
  page: z.string().min(1),
  user: z.string().min(1),
  /** Epoch milliseconds. */
  ts: z.number(),
});
export type Click = z.infer<typeof clickSchema>;

/**
 * Clicks per page per 1-minute window, tolerating events up to 5 minutes late, written once per
 * window (append) as Parquet under s3://BUCKET/sluice/clicks/.
 */
export const clicksQuery = readStream<Click>('clicks', { eventTime: 'ts', schema: clickSchema, partitionKey: 'page' })
  .withWatermark('ts', '5 minutes')
  .groupBy(window('ts', '1 minute'), 'page')
  .agg({ clicks: count() })
  .writeStream.queryName('clicks')
  .outputMode('append')
  .format('parquet')
  .build();
`;

const HANDLER = `import { queryHandler } from 'sluice/lambda';
import { clicksQuery } from './queries/clicks.js';

/** The Lambda handler of the \`clicks\` query: one micro-batch per invocation. */
export const handler = queryHandler(clicksQuery);
`;

const CDK_APP = `import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { StreamingQuery } from 'sluice/cdk';
import { clicksQuery } from '../functions/queries/clicks.js';

const app = new App();
const stack = new Stack(app, 'ClicksApp');

// A Kinesis stream, the query's Lambda function (functions/clicks.ts, bundled with esbuild), its
// state table, output bucket, alarms, heartbeat, dashboard, and a Glue table for Athena whose
// columns are inferred from the query's output schema.
new StreamingQuery(stack, 'Clicks', {
  queryName: 'clicks',
  query: clicksQuery,
  glue: { database: 'clicks_app' },
  shardCount: 1,
  projectRoot: fileURLToPath(new URL('..', import.meta.url)),
});

app.synth();
`;

const TEST = `import { MemoryStream, StreamTest } from 'sluice/testkit';
import { describe, expect, it } from 'vitest';
import { type Click, clicksQuery } from '../functions/queries/clicks.js';

const minute = 60_000;

describe('clicks', () => {
  it('counts clicks per page and minute once the watermark passes the window', async () => {
    const clicks = new MemoryStream<Click>('clicks');
    const test = new StreamTest(clicksQuery, [clicks]);

    clicks.addData(
      { page: '/home', user: 'ann', ts: 10_000 },
      { page: '/home', user: 'bob', ts: 20_000 },
      { page: '/cart', user: 'ann', ts: 30_000 },
    );
    // Append mode: nothing is final until the watermark (max event time - 5 minutes) passes 1:00.
    expect(await test.processAllAvailable()).toEqual([]);

    clicks.addData({ page: '/home', user: 'cid', ts: 7 * minute });
    const output = await test.processAllAvailable();
    expect(output.map((row) => [row.page, row.clicks]).sort()).toEqual([
      ['/cart', 1],
      ['/home', 2],
    ]);
  });
});
`;

/** Two pages, three users, one event every 7 seconds for 10 minutes. */
function sampleEvents(): string {
  const start = Date.UTC(2026, 0, 1);
  const pages = ['/home', '/cart'];
  const users = ['ann', 'bob', 'cid'];
  const lines: string[] = [];
  for (let i = 0; i < 86; i++) {
    lines.push(JSON.stringify({ page: pages[i % 2], user: users[i % 3], ts: start + i * 7000 }));
  }
  return `${lines.join('\n')}\n`;
}

function readme(name: string): string {
  return `# ${name}

A [sluice](https://github.com/) streaming app: Spark Structured Streaming's model as
Kinesis-triggered AWS Lambda functions, deployed with the AWS CDK.

## Quick start

\`\`\`sh
npm install && npm start   # installs, then runs the app on local emulators (Ctrl-C stops it)
npm test                   # type-check and the query's tests
\`\`\`

Node.js 20 or newer. No Docker, no AWS account needed for either command.

While \`npm start\` runs, in another terminal:

\`\`\`sh
npx sluice push clicks events/clicks.jsonl   # JSON Lines → the local Kinesis stream
npx sluice status --wait                     # until everything pushed is committed
npx sluice query clicks                      # the result table, read from the local S3
\`\`\`

## Layout

| path | what |
| --- | --- |
| \`functions/queries/clicks.ts\` | the query: clicks per page per minute (event time, 5-minute watermark, append, Parquet) |
| \`functions/clicks.ts\` | its Lambda handler (\`queryHandler\` from \`sluice/lambda\`) |
| \`infra/app.ts\` | the CDK app: a \`StreamingQuery\` from \`sluice/cdk\` |
| \`test/clicks.test.ts\` | the query tested in memory with \`sluice/testkit\` |
| \`events/clicks.jsonl\` | sample events |

## Deploy

\`\`\`sh
npx cdk synth    # the CloudFormation template (bundles functions/clicks.ts with esbuild)
npx cdk deploy   # with AWS credentials
\`\`\`
`;
}
