/**
 * `npm run bench`: every benchmark of issue 6 in one run, printed as Markdown, and the generated
 * parts of docs/benchmarks.md rewritten (summary against the targets; AWS sections). Figures only:
 * it never fails the build (a missed target or a failed section is reported, not thrown).
 *
 * Sections (`--only engine,requests,e2e,memory,cost`, default all):
 * - engine: records/s of the engine next to the decode floor (bench/engine.ts, bench/engine-section.ts)
 * - handler: CPU and wall time of the Lambda handler path (edge decoder, Kinesis source, engine,
 *   in-memory stores) and of the engine alone, next to the decode floor, on the page-view and a
 *   YSB-shaped query (bench/handler-path/)
 * - requests: AWS requests, bytes and DynamoDB units per batch, sluice next to the naive handler
 * - e2e: events/s end to end on the emulators through the local runner, 1 and 4 shards
 * - memory: peak RSS of a handler process, 10k-record batches over 100k keys of state
 * - cost: per million events at list prices, next to the naive handler and a Flink application
 * - state: S3 changelog state, DynamoDB per-key state and the naive handler side by side at
 *   1,000 events/s: write units, PUTs, $ per million events, cold start (bench/aws/state-backends.ts)
 * - exchange: a YSB-shaped query on 4 shards with the exchange (producers key by user) next to the
 *   same query in one stage (keyed by campaign): events/s, requests, the exchange's $ per million
 *   events and added latency (bench/aws/exchange.ts; `--exchange-events`)
 * - eviction: peak RSS and time of one batch evicting every group of a 200,000-key state, expiry
 *   index and pages against the full scan it replaced (bench/state/mass-eviction.ts; no emulators)
 *
 * Options: `--quick` (smaller inputs, ~2 minutes, does not write the page unless `--write`),
 * `--write` / `--no-write`, `--e2e-events 100000`, `--naive-events 5000`, `--memory-keys 100000`,
 * `--eviction-keys 200000`, `--state-keys 1000,100000 --state-records 500,10000 --state-systems
 * s3,dynamodb,naive` (the state section's runs).
 * Engine options as before: `--events 12 --records 10000 --keys 10000 --iterations 7 --warmup 2
 * --modes append,update`; given without `--only`, they run the engine section alone (as the
 * engine benchmark always did). Profile the engine with
 * `node --cpu-prof --cpu-prof-dir=.tmp/prof --import tsx bench/run.ts --modes append`, then
 * `npx tsx bench/profile-summary.ts .tmp/prof/<file>.cpuprofile`.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { OutputMode } from '../engine/index.js';
import type { BenchResults, BenchSettings, Outcome } from './report.js';

const SECTIONS = [
  'engine',
  'handler',
  'requests',
  'e2e',
  'memory',
  'cost',
  'state',
  'exchange',
  'eviction',
] as const;
type Section = (typeof SECTIONS)[number];
const ENGINE_OPTIONS = ['events', 'records', 'keys', 'iterations', 'warmup', 'modes'] as const;

const { values } = parseArgs({
  options: {
    events: { type: 'string' },
    records: { type: 'string' },
    keys: { type: 'string' },
    iterations: { type: 'string' },
    warmup: { type: 'string' },
    modes: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean', default: false },
    'e2e-events': { type: 'string' },
    'naive-events': { type: 'string' },
    'memory-keys': { type: 'string' },
    'exchange-events': { type: 'string' },
    'eviction-keys': { type: 'string' },
    'state-keys': { type: 'string' },
    'state-records': { type: 'string' },
    'state-systems': { type: 'string' },
  },
});

const quick = values.quick;
const engineOnly = values.only === undefined && ENGINE_OPTIONS.some((name) => values[name] !== undefined);
const sections = new Set<Section>(
  engineOnly ? ['engine'] : ((values.only?.split(',') ?? [...SECTIONS]) as Section[]),
);
const writePage =
  !values['no-write'] && (values.write ?? (!quick && !engineOnly && SECTIONS.every((s) => sections.has(s))));

const settings: BenchSettings = {
  quick,
  memoryMb: 1024,
  e2eBatchSize: 10_000,
  e2eKeys: 1_000,
  flinkRates: [100, 1_000, 10_000],
  steadyRate: 1_000,
  recordBytes: 100,
};

const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

async function main(): Promise<void> {
  // The naive handler has 10,000 requests in flight by design; the SDK warns about the queue.
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('socket usage at capacity')) return;
    warn(...args);
  };
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} vCPU, shared with other work), Node ${process.version}, ${os.platform()} ${os.arch()}`;
  const date = new Date().toISOString().slice(0, 10);
  console.log(`sluice benchmarks — ${machine}, ${date}${quick ? ' (quick)' : ''}`);
  console.log(`sections: ${[...sections].join(', ')}${writePage ? '; rewrites docs/benchmarks.md' : ''}\n`);

  const seconds: Record<string, number> = {};
  const timed = async <T>(name: string, run: () => Promise<T>): Promise<Outcome<T>> => {
    const started = performance.now();
    console.log(`## ${name}\n`);
    try {
      return { ok: true, value: await run() };
    } catch (error) {
      console.error(`${name} failed:`, error);
      return { ok: false, error: error instanceof Error ? error.message.split('\n')[0]! : String(error) };
    } finally {
      seconds[name] = (performance.now() - started) / 1000;
      console.log('');
    }
  };

  const results: { -readonly [K in keyof BenchResults]: BenchResults[K] } = {
    machine,
    date,
    settings,
    seconds,
  };

  if (sections.has('engine')) {
    const { runEngineSection } = await import('./engine-section.js');
    results.engine = await timed('engine', () =>
      runEngineSection({
        events: Number(values.events ?? (quick ? 6 : 12)),
        records: Number(values.records ?? 10_000),
        keys: Number(values.keys ?? 10_000),
        iterations: Number(values.iterations ?? (quick ? 3 : 7)),
        warmup: Number(values.warmup ?? (quick ? 1 : 2)),
        modes: (values.modes ?? 'append,update').split(',') as OutputMode[],
      }),
    );
  }

  if (sections.has('handler')) {
    const { runHandlerPathSection } = await import('./handler-path/section.js');
    results.handler = await timed('handler', () =>
      runHandlerPathSection({
        events: quick ? 6 : 12,
        records: 10_000,
        keys: 1_000,
        iterations: quick ? 3 : 7,
        warmup: quick ? 1 : 2,
      }),
    );
  }

  let stateSection: string | undefined;
  let evictionSection: string | undefined;
  if (sections.has('eviction')) {
    const { measureMassEviction, massEvictionMarkdown } = await import('./state/mass-eviction.js');
    const outcome = await timed('eviction', () =>
      measureMassEviction({
        keys: Number(values['eviction-keys'] ?? (quick ? 50_000 : 200_000)),
        batchRecords: 10_000,
        log: (line) => console.log(line),
      }),
    );
    evictionSection = outcome.ok
      ? massEvictionMarkdown(outcome.value)
      : `## Mass eviction (issue 9)\n\nThe section failed: ${outcome.error}`;
  }
  const aws =
    sections.has('requests') ||
    sections.has('e2e') ||
    sections.has('memory') ||
    sections.has('cost') ||
    sections.has('state');
  if (aws) {
    const { startBenchEmulators } = await import('./aws/emulators.js');
    const emulators = await startBenchEmulators();
    const runId = Date.now().toString(36);
    const log = (line: string) => console.log(line);
    try {
      if (sections.has('requests') || sections.has('cost')) {
        const { measureRequests } = await import('./aws/requests.js');
        results.requests = await timed('requests', () =>
          measureRequests({
            endpoints: emulators.endpoints,
            recordCounts: sections.has('requests')
              ? quick
                ? [1_000, 10_000]
                : [100, 1_000, 10_000]
              : [10_000],
            keyCounts: sections.has('requests') ? (quick ? [1_000] : [10, 1_000, 10_000]) : [1_000],
            runId,
            log,
          }),
        );
      }
      if (sections.has('e2e')) {
        const { measureEndToEnd } = await import('./aws/end-to-end.js');
        const events = {
          sluice: Number(values['e2e-events'] ?? (quick ? 20_000 : 100_000)),
          naive: Number(values['naive-events'] ?? 5_000),
        };
        results.endToEnd = await timed('e2e', async () => {
          const runs = [];
          for (const shards of quick ? [1] : [1, 4]) {
            runs.push(
              ...(await measureEndToEnd({
                endpoints: emulators.endpoints,
                shards,
                batchSize: settings.e2eBatchSize,
                memoryMb: settings.memoryMb,
                events,
                keys: settings.e2eKeys,
                runId: `${runId}s${shards}`,
                log,
              })),
            );
          }
          return runs;
        });
      }
      if (sections.has('state')) {
        const { measureStateBackends, stateBackendsMarkdown } = await import('./aws/state-backends.js');
        const outcome = await timed('state', () =>
          measureStateBackends({
            endpoints: emulators.endpoints,
            keyCounts: numbers(values['state-keys']) ?? (quick ? [1_000] : [1_000, 100_000]),
            recordCounts: numbers(values['state-records']) ?? (quick ? [500] : [500, 10_000]),
            ...(values['state-systems'] === undefined
              ? {}
              : {
                  systems: values['state-systems']
                    .split(',')
                    .filter((s): s is 's3' | 'dynamodb' | 'naive' => ['s3', 'dynamodb', 'naive'].includes(s)),
                }),
            memoryMb: settings.memoryMb,
            runId,
            log,
          }),
        );
        stateSection = outcome.ok
          ? stateBackendsMarkdown(outcome.value)
          : `## State backends side by side (issue 9)\n\nThe section failed: ${outcome.error}`;
      }
      if (sections.has('memory')) {
        const { measureMemory } = await import('./aws/memory.js');
        results.memory = await timed('memory', () =>
          measureMemory({
            endpoints: emulators.endpoints,
            records: 10_000,
            keys: Number(values['memory-keys'] ?? (quick ? 20_000 : 100_000)),
            runId,
            naiveBatches: 1,
            log,
          }),
        );
      }
    } finally {
      await emulators
        .stop()
        .catch((error: unknown) => console.error('stopping the emulators failed:', error));
    }
  }

  let exchangeSection: string | undefined;
  if (sections.has('exchange')) {
    const { measureExchange, exchangeMarkdown } = await import('./aws/exchange.js');
    const outcome = await timed('exchange', () =>
      measureExchange({
        events: Number(values['exchange-events'] ?? (quick ? 10_000 : 100_000)),
        batchSize: settings.e2eBatchSize,
        log: (line) => console.log(line),
      }),
    );
    exchangeSection = outcome.ok
      ? exchangeMarkdown(outcome.value, settings.memoryMb)
      : `## Exchange: YSB-shaped query on 4 shards (issue 11)\n\nThe section failed: ${outcome.error}`;
  }

  const { awsMarkdown, summaryMarkdown, updateBenchmarksPage } = await import('./report.js');
  const summary = summaryMarkdown(results);
  const awsSections = [
    sections.has('cost') || aws ? awsMarkdown(results) : '',
    stateSection ?? '',
    exchangeSection ?? '',
    evictionSection ?? '',
  ]
    .filter((part) => part !== '')
    .join('\n\n');
  console.log(`## Summary\n\n${summary}\n`);
  if (awsSections !== '') console.log(`${awsSections}\n`);
  if (writePage) {
    const page = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
    await updateBenchmarksPage(page, summary, awsSections === '' ? undefined : awsSections);
    console.log(`rewrote the generated parts of docs/benchmarks.md`);
  }
  console.log(`total ${fmt(Object.values(seconds).reduce((a, b) => a + b, 0))} s of sections`);
}

main()
  .catch((error: unknown) => {
    // Figures only: report the failure without failing whatever ran the benchmark.
    console.error('benchmark failed:', error);
  })
  .finally(() => {
    // Worker threads or sockets of a failed section must not keep the process alive.
    setTimeout(() => process.exit(0), 100).unref();
  });

/** `1000,100000` → [1000, 100000]; undefined when the flag is absent. */
function numbers(list: string | undefined): number[] | undefined {
  return list?.split(',').map((item) => Number(item.trim()));
}
