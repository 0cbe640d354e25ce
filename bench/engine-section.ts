/**
 * The engine benchmark as a section of `npm run bench`: records/s of the engine next to the
 * decode floor (bench/engine.ts), as a Markdown table. Options and output are those of the
 * original `bench/run.ts`.
 */
import type { OutputMode } from '../engine/index.js';
import type { PassResult } from './engine.js';

/** The target from the design: the engine costs at most 1.5× decoding the same events. */
export const ENGINE_TARGET_RATIO = 1.5;

export interface EngineOptions {
  readonly events: number;
  readonly records: number;
  readonly keys: number;
  readonly iterations: number;
  readonly warmup: number;
  readonly modes: readonly OutputMode[];
}

export interface EngineRow {
  readonly cells: readonly string[];
  readonly name: string;
  readonly ratio: number;
  readonly medianMs: number;
  readonly recordsPerSecond: number;
  /** Records per pass. */
  readonly records: number;
}

export interface EngineResult {
  readonly options: EngineOptions;
  readonly header: readonly string[];
  readonly rows: readonly EngineRow[];
}

/** The median of a list of figures (the mean of the middle two for an even count). */
export const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Runs floor and engine passes interleaved and prints the table and verdicts. */
export async function runEngineSection(options: EngineOptions): Promise<EngineResult> {
  // Loaded here so that an engine that does not load is reported like any other failure.
  const { runDecodeFloor, runEngine } = await import('./engine.js');
  const { makeKinesisEvents } = await import('./kinesis-events.js');
  const spec = {
    events: options.events,
    recordsPerEvent: options.records,
    keys: options.keys,
    eventSpanMs: 10_000,
    startMs: Date.UTC(2024, 0, 1),
  };
  const { iterations, warmup, modes } = options;
  const events = makeKinesisEvents(spec);

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
  console.log(markdownTable(header, rows));
  console.log('\nrecords/s and ms / event from the median pass; × floor is the median of per-pass ratios.');
  for (const row of rows.slice(1)) {
    const verdict = row.ratio <= ENGINE_TARGET_RATIO ? 'meets' : 'misses';
    console.log(
      `${row.name}: ${fmt(row.ratio, 2)}× the decode floor, ${verdict} the ≤ ${ENGINE_TARGET_RATIO}× target`,
    );
  }
  return { options, header, rows };
}

/** The engine table as Markdown. */
export function markdownTable(
  header: readonly string[],
  rows: readonly { cells: readonly string[] }[],
): string {
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.cells.join(' | ')} |`),
  ];
  return lines.join('\n');
}

/** One table row; the ratio pairs each pass with the floor pass run next to it. */
function describe(
  name: string,
  passes: readonly PassResult[],
  floor: readonly PassResult[],
  events: number,
): EngineRow {
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
  return { cells, name, ratio, medianMs: ms, recordsPerSecond: (records * 1000) / ms, records };
}
