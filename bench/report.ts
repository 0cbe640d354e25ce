import { type HandlerPathDuration, lambdaCost, type SystemCost } from './aws/cost.js';
import type { EndToEndRun } from './aws/end-to-end.js';
import type { MemoryRun } from './aws/memory.js';
import type { RequestsRow } from './aws/requests.js';
import { ENGINE_TARGET_RATIO, type EngineResult } from './engine-section.js';
import {
  ENGINE_ONLY_TARGET_RATIO,
  HANDLER_TARGET_RATIO,
  type HandlerPathResult,
} from './handler-path/section.js';
import { fmt, fraction, table, usd, verdict } from './report/format.js';

export const TARGETS = {
  engineRatio: ENGINE_TARGET_RATIO,
  fewerRequests: 50,
  endToEnd: 10,
  peakRssMb: 256,
  costFraction: 1 / 10,
} as const;

/** The scenario the request and cost targets are judged at. */
export const HEADLINE = { records: 10_000, keys: 1_000 } as const;

/** A section's figures, or why it has none. */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

export interface BenchSettings {
  readonly quick: boolean;
  readonly memoryMb: number;
  readonly e2eBatchSize: number;
  readonly e2eKeys: number;
  readonly flinkRates: readonly number[];
  readonly steadyRate: number;
  readonly recordBytes: number;
}

export interface BenchResults {
  readonly machine: string;
  readonly date: string;
  readonly settings: BenchSettings;
  readonly seconds: Readonly<Record<string, number>>;
  readonly engine?: Outcome<EngineResult>;
  readonly handler?: Outcome<HandlerPathResult>;
  readonly requests?: Outcome<RequestsRow[]>;
  readonly endToEnd?: Outcome<EndToEndRun[]>;
  readonly memory?: Outcome<MemoryRun[]>;
}

/**
 * Assumed wait per awaited AWS call in the function's own region (DynamoDB and S3 answer small
 * requests in single-digit to low tens of milliseconds); a stated assumption, not a measurement.
 */
export const MS_PER_AWS_CALL = 10;

/**
 * sluice's Lambda duration comes from the handler-path figure (page views at 1,000 keys: the
 * requests section's workload) when that section ran; the naive handler's stays the emulator
 * measurement (its 10,000 concurrent calls per batch fit no per-call model).
 */
export function handlerPathDuration(results: BenchResults): HandlerPathDuration | undefined {
  if (results.handler?.ok !== true) return undefined;
  const row = results.handler.value.rows.find(
    (r) => r.path === 'handler' && r.query.startsWith('page views'),
  );
  return row === undefined
    ? undefined
    : { cpuMsPerEvent: row.cpuMs / row.records, msPerAwsCall: MS_PER_AWS_CALL };
}

export function costs(results: BenchResults): { keys: number; sluice: SystemCost; naive: SystemCost }[] {
  if (results.requests?.ok !== true) return [];
  const handlerPath = handlerPathDuration(results);
  const memoryMb = results.settings.memoryMb;
  return results.requests.value
    .filter((row) => row.records === HEADLINE.records)
    .map((row) => ({
      keys: row.keys,
      sluice: lambdaCost('sluice', row.sluice, {
        records: row.records,
        memoryMb,
        ...(handlerPath === undefined ? {} : { handlerPath }),
      }),
      naive: lambdaCost('naive', row.naive, { records: row.records, memoryMb }),
    }));
}

export function headlineRow(results: BenchResults): RequestsRow | undefined {
  if (results.requests?.ok !== true) return undefined;
  return results.requests.value.find((r) => r.records === HEADLINE.records && r.keys === HEADLINE.keys);
}

export function handlerRatio(runs: readonly EndToEndRun[], shards: number): number | undefined {
  const sluice = runs.find((r) => r.system === 'sluice' && r.shards === shards);
  const naive = runs.find((r) => r.system === 'naive' && r.shards === shards);
  if (sluice === undefined || naive === undefined || sluice.handlerSeconds === 0) return undefined;
  return naive.handlerSeconds / naive.events / (sluice.handlerSeconds / sluice.events);
}

export function e2eRatio(runs: readonly EndToEndRun[], shards: number): number | undefined {
  const sluice = runs.find((r) => r.system === 'sluice' && r.shards === shards);
  const naive = runs.find((r) => r.system === 'naive' && r.shards === shards);
  return sluice === undefined || naive === undefined
    ? undefined
    : sluice.eventsPerSecond / naive.eventsPerSecond;
}

// ---------------------------------------------------------------- Markdown

/** The summary table of targets, plus machine, date and how to rerun. */
export function summaryMarkdown(results: BenchResults): string {
  const rows: string[][] = [];
  if (results.engine?.ok) {
    const [floor, ...engines] = results.engine.value.rows;
    for (const row of engines) {
      rows.push([
        `engine CPU, ${row.name.replace('engine ', '')} mode (tumbling count, ${fmt(results.engine.value.options.keys)} keys)`,
        `${fmt(row.medianMs, 1)} ms per ${fmt(results.engine.value.rows[0]!.records)} records`,
        `decode floor ${fmt(floor!.medianMs, 1)} ms`,
        `${fmt(row.ratio, 2)}× the floor`,
        `≤ ${TARGETS.engineRatio}×`,
        verdict(row.ratio <= TARGETS.engineRatio),
      ]);
    }
  } else if (results.engine)
    rows.push(['engine CPU', 'failed', '', '', `≤ ${TARGETS.engineRatio}×`, results.engine.error]);

  if (results.handler?.ok) {
    const rowsOf = results.handler.value.rows;
    for (const row of rowsOf) {
      if (row.path === 'floor') continue;
      const floor = rowsOf.find((r) => r.query === row.query && r.path === 'floor')!;
      const target = row.path === 'handler' ? HANDLER_TARGET_RATIO : ENGINE_ONLY_TARGET_RATIO;
      rows.push([
        `${row.path === 'handler' ? 'handler path' : 'engine only'} CPU, ${row.query}`,
        `${fmt(row.cpuMs, 1)} ms per ${fmt(row.records)} records`,
        `decode floor ${fmt(floor.cpuMs, 1)} ms`,
        `${fmt(row.cpuRatio, 2)}× the floor (wall ${fmt(row.wallRatio, 2)}×)`,
        `≤ ${target}×`,
        verdict(row.cpuRatio <= target),
      ]);
    }
  } else if (results.handler)
    rows.push(['handler path CPU', 'failed', '', '', `≤ ${HANDLER_TARGET_RATIO}×`, results.handler.error]);

  const headline = headlineRow(results);
  if (headline) {
    const fewer = headline.naive.requests / headline.sluice.requests;
    rows.push([
      `AWS requests per ${fmt(HEADLINE.records)}-record batch, ${fmt(HEADLINE.keys)} keys`,
      fmt(headline.sluice.requests, 1),
      `naive ${fmt(headline.naive.requests)}`,
      `${fmt(fewer, 0)}× fewer`,
      `≥ ${TARGETS.fewerRequests}× fewer`,
      verdict(fewer >= TARGETS.fewerRequests),
    ]);
  } else if (results.requests && !results.requests.ok)
    rows.push(['AWS requests', 'failed', '', '', `≥ ${TARGETS.fewerRequests}×`, results.requests.error]);

  if (results.endToEnd?.ok) {
    const runs = results.endToEnd.value;
    for (const shards of [...new Set(runs.map((r) => r.shards))]) {
      const sluice = runs.find((r) => r.system === 'sluice' && r.shards === shards);
      const naive = runs.find((r) => r.system === 'naive' && r.shards === shards);
      const ratio = e2eRatio(runs, shards);
      rows.push([
        `end to end on the emulators, ${shards} shard${shards === 1 ? '' : 's'}`,
        sluice ? `${fmt(sluice.eventsPerSecond)} events/s` : '—',
        naive ? `naive ${fmt(naive.eventsPerSecond)} events/s` : '—',
        ratio === undefined ? '—' : `${fmt(ratio, 1)}×`,
        `≥ ${TARGETS.endToEnd}×`,
        ratio === undefined ? '—' : verdict(ratio >= TARGETS.endToEnd),
      ]);
    }
  } else if (results.endToEnd)
    rows.push(['end to end', 'failed', '', '', `≥ ${TARGETS.endToEnd}×`, results.endToEnd.error]);

  if (results.memory?.ok) {
    const sluice = results.memory.value.find((r) => r.system === 'sluice');
    const naive = results.memory.value.find((r) => r.system === 'naive');
    if (sluice)
      rows.push([
        `peak RSS, ${fmt(sluice.records)}-record batches over ${fmt(sluice.keys)} keys of state`,
        `${fmt(sluice.maxRssMb)} MB`,
        naive ? `naive ${fmt(naive.maxRssMb)} MB` : '—',
        '—',
        `≤ ${TARGETS.peakRssMb} MB`,
        verdict(sluice.maxRssMb <= TARGETS.peakRssMb),
      ]);
  } else if (results.memory)
    rows.push(['peak RSS', 'failed', '', '', `≤ ${TARGETS.peakRssMb} MB`, results.memory.error]);

  const atHeadline = costs(results).find((c) => c.keys === HEADLINE.keys);
  if (atHeadline) {
    const share = atHeadline.sluice.total / atHeadline.naive.total;
    rows.push([
      `cost per million events, ${fmt(HEADLINE.keys)} keys (Kinesis excluded)`,
      usd(atHeadline.sluice.total),
      `naive ${usd(atHeadline.naive.total)}`,
      fraction(atHeadline.sluice.total, atHeadline.naive.total),
      '≤ 1/10',
      verdict(share <= TARGETS.costFraction),
    ]);
  }

  const seconds = Object.entries(results.seconds)
    .map(([name, s]) => `${name} ${fmt(s)} s`)
    .join(', ');
  return [
    `**Machine**: ${results.machine}. **Date**: ${results.date}.${results.settings.quick ? ' **Quick run** (`--quick`): smaller inputs, rougher figures.' : ''}`,
    `Every ratio compares two systems measured in the same run on the same machine (these machines are shared and noisy: compare ratios, not absolute figures). Section times: ${seconds}.`,
    '',
    table(['measure', 'sluice', 'baseline (same run)', 'ratio', 'target', ''], rows, [
      '---',
      '---:',
      '---:',
      '---:',
      '---:',
      '---',
    ]),
    '',
    'The engine rows are this run’s; the engine section below is kept by hand (its figures and profile may come ' +
      'from another run). Where a target is missed, “What stands in the way” (after the AWS sections) says why, from ' +
      'this run’s figures.',
    '',
    'Rerun: `npm run bench` (all sections, about 5–6 minutes on an otherwise idle 2-vCPU machine, rewrites the ' +
      'generated parts of this page), `npm run bench -- --quick` (about 2 minutes, prints only; `--write` to write), ' +
      '`npm run bench -- --only requests,cost` (sections: `engine`, `handler`, `requests`, `e2e`, `memory`, `cost`). ' +
      'Engine-only options as before: `npx tsx bench/run.ts --keys 1000 --events 24`. Benchmarks print figures; ' +
      'they never fail the build.',
  ].join('\n');
}

/** The AWS sections: requests and bytes, end to end, memory, cost. */

export { awsMarkdown } from './report/aws-sections.js';
export { updateBenchmarksPage } from './report/page.js';
