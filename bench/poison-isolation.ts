// Benchmark: the cost of isolating one poison record in a 10,000-record batch (issue 10).
// Prints figures; never part of `npm test`. Each case runs in its own child process so its peak
// RSS is its own: `npx tsx bench/poison-isolation.ts`.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { count, sum } from '../engine/index.js';
import { MemoryStream, StreamTest } from '../engine/testkit/index.js';

const RECORDS = 10_000;
const KEYS = 1_000;
const POISON_AT = 7_337;

interface Figures {
  readonly mode: string;
  readonly ms: number;
  readonly maxRssMb: number;
  readonly probes: number;
  readonly deadLetters: number;
}

async function runCase(mode: 'baseline' | 'poison'): Promise<Figures> {
  const input = new MemoryStream<{ key: string; v: number; bad: boolean }>('events');
  const query = input
    .toStream()
    .map((row) => {
      if (row.bad) throw new Error(`cannot handle ${row.key}`);
      return row;
    })
    .groupBy('key')
    .agg({ n: count(), total: sum('v') })
    .writeStream.outputMode('update')
    .build();
  let probes = 0;
  const test = new StreamTest(query, [input], {
    execution: { poisonIsolation: {}, onIsolation: (report) => (probes += report.probes) },
  });
  // Warm up the code paths on a small batch first.
  input.addData({ key: 'warm', v: 1, bad: false });
  await test.processAllAvailable();
  input.addData(
    ...Array.from({ length: RECORDS }, (_, i) => ({
      key: `k${i % KEYS}`,
      v: i,
      bad: mode === 'poison' && i === POISON_AT,
    })),
  );
  const started = performance.now();
  await test.processAllAvailable();
  const ms = performance.now() - started;
  return {
    mode,
    ms: Math.round(ms),
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    probes,
    deadLetters: test.deadLetters.length,
  };
}

const self = fileURLToPath(import.meta.url);
const arg = process.argv[2];
if (arg === 'baseline' || arg === 'poison') {
  console.log(JSON.stringify(await runCase(arg)));
} else {
  const run = (mode: string): Figures =>
    JSON.parse(execFileSync('npx', ['tsx', self, mode], { encoding: 'utf8' }).trim().split('\n').at(-1)!);
  const results: Figures[] = [];
  for (let i = 0; i < 3; i++) results.push(run('baseline'), run('poison'));
  const median = (mode: string, pick: (f: Figures) => number) => {
    const values = results
      .filter((f) => f.mode === mode)
      .map(pick)
      .sort((a, b) => a - b);
    return values[Math.floor(values.length / 2)]!;
  };
  const baseMs = median('baseline', (f) => f.ms);
  const poisonMs = median('poison', (f) => f.ms);
  console.log(
    `records per batch: ${RECORDS}, keys: ${KEYS}, poison at index ${POISON_AT} (a map that throws)`,
  );
  console.log(
    `baseline batch (no poison): ${baseMs} ms, peak RSS ${median('baseline', (f) => f.maxRssMb)} MB`,
  );
  console.log(
    `batch with one poison record, isolated: ${poisonMs} ms (${(poisonMs / baseMs).toFixed(1)}x), peak RSS ${median('poison', (f) => f.maxRssMb)} MB, ` +
      `${median('poison', (f) => f.probes)} probes, ${median('poison', (f) => f.deadLetters)} dead letter`,
  );
}
