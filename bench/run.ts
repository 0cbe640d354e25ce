/**
 * `npm run bench`: prints records/s of the engine next to the decode floor, as a Markdown table.
 * Figures only; it never fails the build (a missed target is reported, not thrown).
 *
 * Options: `--events 12 --records 10000 --keys 10000 --iterations 7 --warmup 2 --modes append,update`.
 * Profile with `node --cpu-prof --cpu-prof-dir=.tmp/prof --import tsx bench/run.ts`, then
 * `npx tsx bench/profile-summary.ts .tmp/prof/<file>.cpuprofile`.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import type { OutputMode } from '../engine/index.js';
import type { PassResult } from './engine.js';

/** The target from the design: the engine costs at most 1.5× decoding the same events. */
const TARGET_RATIO = 1.5;

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '12' },
    records: { type: 'string', default: '10000' },
    keys: { type: 'string', default: '10000' },
    iterations: { type: 'string', default: '7' },
    warmup: { type: 'string', default: '2' },
    modes: { type: 'string', default: 'append,update' },
  },
});

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  // Loaded here so that an engine that does not load is reported like any other failure.
  const { runDecodeFloor, runEngine } = await import('./engine.js');
  const { makeKinesisEvents } = await import('./kinesis-events.js');
  const spec = {
    events: Number(values.events),
    recordsPerEvent: Number(values.records),
    keys: Number(values.keys),
    eventSpanMs: 10_000,
    startMs: Date.UTC(2024, 0, 1),
  };
  const iterations = Number(values.iterations);
  const warmup = Number(values.warmup);
  const modes = values.modes.split(',') as OutputMode[];
  const events = makeKinesisEvents(spec);

  console.log(
    `sluice engine benchmark — ${os.cpus()[0]?.model ?? 'unknown CPU'}, node ${process.version}, ${new Date().toISOString().slice(0, 10)}`,
  );
  console.log(
    `${spec.events} Kinesis events × ${fmt(spec.recordsPerEvent)} records, ${fmt(spec.keys)} keys, ` +
      `window 1 minute, watermark 10 s; ${warmup} warm-up + ${iterations} timed passes, medians\n`,
  );

  const floor: PassResult[] = [];
  const engine = new Map<OutputMode, PassResult[]>(modes.map((mode) => [mode, []]));
  for (let i = 0; i < warmup + iterations; i++) {
    // Interleave the variants so that drift (other load, thermal) hits them alike.
    const floorPass = runDecodeFloor(events);
    const enginePasses: PassResult[] = [];
    for (const mode of modes) enginePasses.push(await runEngine(events, mode));
    if (i < warmup) continue;
    floor.push(floorPass);
    for (const [j, mode] of modes.entries()) engine.get(mode)!.push(enginePasses[j]!);
  }

  const header = ['path', 'records', 'median ms', 'best ms', 'records/s', 'ms / event', '× floor', 'batches'];
  const rows = [
    describe('decode floor', floor, floor, spec.events),
    ...modes.map((mode) => describe(`engine ${mode}`, engine.get(mode)!, floor, spec.events)),
  ];
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
  for (const row of rows) console.log(`| ${row.cells.join(' | ')} |`);
  console.log('\nrecords/s and ms / event from the median pass; × floor is the median of per-pass ratios.');
  for (const row of rows.slice(1)) {
    const verdict = row.ratio <= TARGET_RATIO ? 'meets' : 'misses';
    console.log(
      `${row.cells[0]}: ${fmt(row.ratio, 2)}× the decode floor, ${verdict} the ≤ ${TARGET_RATIO}× target`,
    );
  }
}

/** One table row; the ratio pairs each pass with the floor pass run next to it. */
function describe(name: string, passes: readonly PassResult[], floor: readonly PassResult[], events: number) {
  const ms = median(passes.map((p) => p.elapsedMs));
  const best = Math.min(...passes.map((p) => p.elapsedMs));
  const ratio = median(passes.map((p, i) => p.elapsedMs / floor[i]!.elapsedMs));
  const records = passes[0]!.records;
  const cells = [
    name,
    fmt(records),
    fmt(ms, 1),
    fmt(best, 1),
    fmt((records * 1000) / ms),
    fmt(ms / events, 2),
    fmt(ratio, 2),
    passes === floor ? '' : fmt(passes[0]!.batches),
  ];
  return { cells, ratio };
}

main().catch((error: unknown) => {
  // Figures only: report the failure without failing whatever ran the benchmark.
  console.error('benchmark failed:', error);
});
