/**
 * The handler-path section of `npm run bench` (issue 14): for each query, the decode floor, the
 * engine alone and the handler path, passes interleaved so machine drift hits them alike; medians
 * of per-pass ratios to the floor pass run beside them, on CPU time (what the summary shows) and
 * on wall time; GC pause time per million events.
 */
import { median } from '../engine-section.js';
import type { KinesisStreamEvent } from '../kinesis-events.js';
import { makeKinesisEvents } from '../kinesis-events.js';
import { type PassFigures, type PathName, runEngine, runFloor, runHandler } from './passes.js';
import { makeYsbEvents, pageViewsQuery, ysbQuery } from './queries.js';

/** Targets of issue 14: handler path ≤ 1.3× the floor, engine alone ≤ 1.2×. */
export const HANDLER_TARGET_RATIO = 1.3;
export const ENGINE_ONLY_TARGET_RATIO = 1.2;

export interface HandlerPathOptions {
  readonly events: number;
  readonly records: number;
  /** Keys of the page-view query. */
  readonly keys: number;
  readonly iterations: number;
  readonly warmup: number;
}

export interface HandlerPathRow {
  readonly query: string;
  readonly path: PathName;
  readonly records: number;
  readonly rowsOut: number;
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly cpuRatio: number;
  readonly wallRatio: number;
  readonly gcMsPerMillion: number;
}

export interface HandlerPathResult {
  readonly options: HandlerPathOptions;
  readonly rows: readonly HandlerPathRow[];
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

interface Workload {
  readonly name: string;
  readonly events: readonly KinesisStreamEvent[];
  readonly query: typeof pageViewsQuery;
}

export async function runHandlerPathSection(options: HandlerPathOptions): Promise<HandlerPathResult> {
  const workloads: Workload[] = [
    {
      name: `page views, ${fmt(options.keys)} keys`,
      events: makeKinesisEvents({
        events: options.events,
        recordsPerEvent: options.records,
        keys: options.keys,
        eventSpanMs: 10_000,
        startMs: Date.UTC(2024, 0, 1),
      }),
      query: () => pageViewsQuery('append'),
    },
    {
      name: 'YSB: filter + join + 10 s window',
      events: makeYsbEvents(options.events, options.records),
      query: ysbQuery,
    },
  ];
  console.log(
    `${options.events} Lambda events × ${fmt(options.records)} records per query; ` +
      `${options.warmup} warm-up + ${options.iterations} timed rounds, each round floor → engine → handler per query\n`,
  );

  const paths: PathName[] = ['floor', 'engine', 'handler'];
  const passes = new Map<string, PassFigures[]>();
  const key = (w: Workload, p: PathName) => `${w.name}\u0000${p}`;
  for (let round = 0; round < options.warmup + options.iterations; round++) {
    for (const workload of workloads) {
      const results: PassFigures[] = [
        await runFloor(workload.events),
        await runEngine(workload.events, workload.query),
        await runHandler(workload.events, workload.query),
      ];
      if (round < options.warmup) continue;
      for (const [i, path] of paths.entries()) {
        const list = passes.get(key(workload, path)) ?? [];
        list.push(results[i]!);
        passes.set(key(workload, path), list);
      }
    }
  }

  const rows: HandlerPathRow[] = [];
  for (const workload of workloads) {
    const floor = passes.get(key(workload, 'floor'))!;
    for (const path of paths) {
      const list = passes.get(key(workload, path))!;
      const records = list[0]!.records;
      rows.push({
        query: workload.name,
        path,
        records,
        rowsOut: list[0]!.rowsOut,
        cpuMs: median(list.map((p) => p.cpuMs)),
        wallMs: median(list.map((p) => p.wallMs)),
        cpuRatio: median(list.map((p, i) => p.cpuMs / floor[i]!.cpuMs)),
        wallRatio: median(list.map((p, i) => p.wallMs / floor[i]!.wallMs)),
        gcMsPerMillion: (median(list.map((p) => p.gcMs)) * 1_000_000) / records,
      });
    }
  }
  console.log(handlerPathMarkdown({ options, rows }));
  return { options, rows };
}

/** The section's table and verdicts as Markdown. */
export function handlerPathMarkdown(result: HandlerPathResult): string {
  const header = [
    'query',
    'path',
    'records',
    'rows out',
    'CPU ms',
    'wall ms',
    '× floor (CPU)',
    '× floor (wall)',
    'GC ms / M events',
  ];
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${header.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`,
    ...result.rows.map(
      (r) =>
        `| ${r.query} | ${r.path} | ${fmt(r.records)} | ${fmt(r.rowsOut)} | ${fmt(r.cpuMs, 1)} | ${fmt(r.wallMs, 1)} | ${fmt(r.cpuRatio, 2)} | ${fmt(r.wallRatio, 2)} | ${fmt(r.gcMsPerMillion)} |`,
    ),
    '',
    'Medians over the timed rounds; × floor is the median of per-round ratios to the floor pass of the same round. CPU is user + system time of the process.',
    '',
  ];
  for (const row of result.rows) {
    if (row.path === 'floor') continue;
    const target = row.path === 'handler' ? HANDLER_TARGET_RATIO : ENGINE_ONLY_TARGET_RATIO;
    const verdict = row.cpuRatio <= target ? 'meets' : 'misses';
    lines.push(
      `- ${row.query}, ${row.path}: ${fmt(row.cpuRatio, 2)}× the decode floor in CPU time (${fmt(row.wallRatio, 2)}× wall), ${verdict} the ≤ ${target}× target`,
    );
  }
  return lines.join('\n');
}
