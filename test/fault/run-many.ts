/**
 * Runs many fault schedules against one emulator set and prints progress, failures (with their
 * schedules, for replay) and the faults injected by kind.
 *
 *   npm run test:faults -- --seeds 5000               seeds 0..4999, query = seed % 4
 *   npm run test:faults -- --seeds 500 --from 10000   seeds 10000..10499
 *   npm run test:faults -- --query dedup --seeds 1000 only the dedup query
 *   npm run test:faults -- --query sessions --seed 17 --verbose   replay one seed, print its schedule
 *
 * Seeds run `--concurrency` at a time (default 3); a schedule does not depend on what runs beside it.
 */
import { parseArgs } from 'node:util';
import { type FaultEnv, startFaultEnv } from './support/fault-env.js';
import { QUERY_KINDS, type QueryKind } from './support/fault-queries.js';
import { countOutcome, describeOutcome, FaultStats, runSchedule } from './support/run-schedule.js';

// As in vitest.config.ts: the SDK's Node-version notice is not news here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '200' },
    from: { type: 'string', default: '0' },
    seed: { type: 'string' },
    query: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    'restart-every': { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '3' },
  },
});

const query = values.query as QueryKind | undefined;
if (query !== undefined && !QUERY_KINDS.includes(query)) {
  console.error(`--query must be one of ${QUERY_KINDS.join(', ')}`);
  process.exit(2);
}
const first = Number(values.seed ?? values.from);
const count = values.seed === undefined ? Number(values.seeds) : 1;
const restartEvery = Number(values['restart-every']);
const kindOf = (seed: number): QueryKind => query ?? QUERY_KINDS[seed % QUERY_KINDS.length]!;

const stats = new FaultStats();
const failures: string[] = [];
const started = performance.now();
const concurrency = values.seed === undefined ? Math.max(1, Number(values.concurrency)) : 1;
let env: FaultEnv = await startFaultEnv();
let done = 0;

/** Runs one seed; prints its failure (or, with --verbose, its schedule) and the progress line. */
async function runOne(seed: number): Promise<void> {
  const outcome = await runSchedule(env, kindOf(seed), seed);
  countOutcome(stats, outcome);
  if (outcome.problems.length > 0) {
    failures.push(describeOutcome(outcome));
    console.log(`\n${describeOutcome(outcome)}\n`);
  } else if (values.verbose) {
    console.log(outcome.log.steps.map((step, n) => `  ${String(n).padStart(3)} ${step}`).join('\n'));
  }
  done++;
  if (done % 25 === 0 || done === count) {
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `[${String(done).padStart(String(count).length)}/${count}] ${failures.length} failed, ` +
        `${stats.totalFaults} faults, ${seconds.toFixed(1)} s (${((seconds * 1000) / done).toFixed(0)} ms/schedule)`,
    );
  }
}

try {
  for (let from = 0; from < count; from += restartEvery) {
    if (from > 0) {
      // A fresh emulator set keeps dynalite's memory and s3rver's directory small.
      await env.stop();
      env = await startFaultEnv();
    }
    const seeds = Array.from({ length: Math.min(restartEvery, count - from) }, (_, i) => first + from + i);
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        for (let seed = seeds.shift(); seed !== undefined; seed = seeds.shift()) await runOne(seed);
      }),
    );
  }
} finally {
  await env.stop();
}
console.log(`\n${stats.summary('fault schedules')}`);
console.log(
  failures.length === 0 ? '\nall schedules passed' : `\n${failures.length} schedule(s) FAILED (see above)`,
);
process.exit(failures.length === 0 ? 0 : 1);
