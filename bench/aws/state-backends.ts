/**
 * The state backends side by side (issue 9): sluice with S3 changelog state, sluice with
 * per-key DynamoDB state, and the naive handler, on the same page-view stream at a steady
 * 1,000 events/s of event time, per invocation of the construct's batch size.
 *
 * Each sluice run first fills its state with one minute of events (10,000-record invocations),
 * then measures one whole minute of events in invocations of `records` records, so the figures
 * include the window that closes (eviction) and the snapshots in their real proportion. The
 * naive handler's cost per event does not depend on state: it runs two invocations.
 * A last invocation after `coldStart()` times the load of the whole state by a new container.
 */
import type { StateBackend } from '../../engine/aws/lambda/kinesis-handler.js';
import { lambdaCost, type SystemCost } from './cost.js';
import type { BenchEndpoints } from './emulators.js';
import type { BatchFigures } from './requests.js';
import { type SystemUnderTest, setUpSystem } from './systems.js';
import { addTraffic, emptyTraffic, type Traffic, totalRequests } from './traffic-meter.js';
import { eventOf, pageViews, type RecordSpec } from './workload.js';

const SHARD = 'shardId-000000000000';
/** Events per second of event time (the issue's steady rate). */
const RATE = 1_000;
const MINUTE = 60_000;

export interface StateBackendRun {
  readonly system: 's3' | 'dynamodb' | 'naive';
  readonly keys: number;
  readonly records: number;
  readonly invocations: number;
  /** Per invocation. */
  readonly wru: number;
  readonly rru: number;
  readonly s3Puts: number;
  readonly s3Gets: number;
  readonly requests: number;
  readonly ms: number;
  /** sluice: live state rows at the end, and state bytes written per invocation. */
  readonly stateRows?: number;
  /** sluice: the first invocation of a new container over the full state, ms. */
  readonly coldStartMs?: number;
  readonly cost: SystemCost;
}

export interface StateBackendOptions {
  readonly endpoints: BenchEndpoints;
  readonly keyCounts: readonly number[];
  /** Records per invocation (the event source's batch size). */
  readonly recordCounts: readonly number[];
  readonly memoryMb: number;
  readonly runId: string;
  /** Which systems to run. @default all three */
  readonly systems?: ReadonlyArray<'s3' | 'dynamodb' | 'naive'>;
  readonly log?: (line: string) => void;
}

export async function measureStateBackends(options: StateBackendOptions): Promise<StateBackendRun[]> {
  const runs: StateBackendRun[] = [];
  for (const keys of options.keyCounts) {
    for (const records of options.recordCounts) {
      for (const state of (['s3', 'dynamodb'] as const).filter((s) => options.systems?.includes(s) ?? true)) {
        const tag = `${options.runId}-${state === 's3' ? 'c' : 'd'}-k${keys}-r${records}`;
        const system = await setUpSystem({
          endpoints: options.endpoints,
          system: 'sluice',
          name: `sb-${tag}`,
          state,
        });
        const run = await runSluice(system, state, keys, records, options.memoryMb);
        options.log?.(
          `  ${state} state, ${keys} keys, ${records} records/invocation: ${run.wru.toFixed(1)} WRU, ${run.s3Puts.toFixed(1)} PUTs, ${run.ms.toFixed(0)} ms per invocation; $${run.cost.total.toFixed(4)}/M events; cold start ${run.coldStartMs?.toFixed(0)} ms`,
        );
        runs.push(run);
      }
    }
    if (!(options.systems?.includes('naive') ?? true)) continue;
    const naive = await setUpSystem({
      endpoints: options.endpoints,
      system: 'naive',
      name: `sb-${options.runId}-n-k${keys}`,
    });
    runs.push(await runNaive(naive, keys, options.recordCounts[0]!, options.memoryMb));
  }
  return runs;
}

const specOf = (keys: number): RecordSpec => ({ keys, span: RATE, spanMs: 1000, seed: keys });

async function runSluice(
  system: SystemUnderTest,
  state: StateBackend,
  keys: number,
  records: number,
  memoryMb: number,
): Promise<StateBackendRun> {
  const spec = specOf(keys);
  let next = 0;
  const invoke = async (count: number) => {
    const response = await system.invoke(eventOf(system.stream, pageViews(spec, next, count), next));
    next += count;
    if (response.batchItemFailures.length > 0) throw new Error(`sluice (${state}) did not commit everything`);
  };
  for (let filled = 0; filled < (MINUTE / 1000) * RATE; filled += 10_000) await invoke(10_000);
  system.meter.take();
  let traffic: Traffic = emptyTraffic();
  let ms = 0;
  const invocations = Math.ceil(((MINUTE / 1000) * RATE) / records);
  for (let i = 0; i < invocations; i++) {
    const started = performance.now();
    await invoke(records);
    ms += performance.now() - started;
    traffic = addTraffic(traffic, system.meter.take());
  }
  const progress = await system.progress(SHARD);
  const stateRows = progress.at(-1)?.stateOperators[0]?.numRowsTotal ?? 0;
  system.coldStart();
  const started = performance.now();
  await invoke(records);
  const coldStartMs = performance.now() - started;
  return figures(state, keys, records, invocations, traffic, ms, memoryMb, { stateRows, coldStartMs });
}

async function runNaive(
  system: SystemUnderTest,
  keys: number,
  records: number,
  memoryMb: number,
): Promise<StateBackendRun> {
  const spec = specOf(keys);
  system.meter.take();
  let traffic: Traffic = emptyTraffic();
  let ms = 0;
  const invocations = 2;
  for (let i = 0; i < invocations; i++) {
    const started = performance.now();
    await system.invoke(eventOf(system.stream, pageViews(spec, i * records, records), i * records));
    ms += performance.now() - started;
    traffic = addTraffic(traffic, system.meter.take());
  }
  return figures('naive', keys, records, invocations, traffic, ms, memoryMb, {});
}

function figures(
  system: StateBackendRun['system'],
  keys: number,
  records: number,
  invocations: number,
  traffic: Traffic,
  ms: number,
  memoryMb: number,
  extra: { stateRows?: number; coldStartMs?: number },
): StateBackendRun {
  let s3Puts = 0;
  let s3Gets = 0;
  for (const [op, n] of Object.entries(traffic.requests)) {
    if (!op.startsWith('S3.')) continue;
    if (op === 'S3.PutObject' || op === 'S3.ListObjectsV2') s3Puts += n;
    else if (op === 'S3.GetObject') s3Gets += n;
  }
  const per = (n: number) => n / invocations;
  const batch: BatchFigures = {
    batches: invocations,
    traffic: {
      ...traffic,
      requests: Object.fromEntries(Object.entries(traffic.requests).map(([op, n]) => [op, per(n)])),
      units: { wru: per(traffic.units.wru), rru: per(traffic.units.rru) },
    } as Traffic,
    requests: per(totalRequests(traffic)),
    ms: per(ms),
  };
  return {
    system,
    keys,
    records,
    invocations,
    wru: per(traffic.units.wru),
    rru: per(traffic.units.rru),
    s3Puts: per(s3Puts),
    s3Gets: per(s3Gets),
    requests: per(totalRequests(traffic)),
    ms: per(ms),
    ...extra,
    cost: lambdaCost(system, batch, { records, memoryMb }),
  };
}

/** Targets of issue 9, per invocation with one stateful operator, and per million events. */
export const STATE_TARGETS = { wru: 6, s3Puts: 10, usdPerMillion: 0.006 } as const;

/** The section of docs/benchmarks.md: one row per system, keys and batch size. */
export function stateBackendsMarkdown(runs: readonly StateBackendRun[]): string {
  const n = (value: number | undefined, digits = 1) =>
    value === undefined ? '' : value.toLocaleString('en-US', { maximumFractionDigits: digits });
  const mark = (ok: boolean) => (ok ? 'met' : 'missed');
  const rows = runs.map((run) => {
    const sluice = run.system !== 'naive';
    return `| ${run.system === 'naive' ? 'naive handler' : `sluice, ${run.system} state`} | ${n(run.keys, 0)} | ${n(run.records, 0)} | ${n(run.wru)}${sluice ? ` (${mark(run.wru <= STATE_TARGETS.wru)})` : ''} | ${n(run.rru)} | ${n(run.s3Puts)}${sluice ? ` (${mark(run.s3Puts <= STATE_TARGETS.s3Puts)})` : ''} | ${n(run.s3Gets)} | ${n(run.ms, 0)} | ${n(run.stateRows, 0)} | ${n(run.coldStartMs, 0)} | $${run.cost.total.toFixed(4)}${sluice ? ` (${mark(run.cost.total <= STATE_TARGETS.usdPerMillion)})` : ''} |`;
  });
  return [
    '## State backends side by side (issue 9)',
    '',
    'Steady 1,000 events/s of event time, 1-minute windows counted per key; per invocation of the given batch size, averaged over one whole minute of events after a minute of warm-up (so the window that closes and the snapshots count in proportion). Targets with one stateful operator: at most 6 DynamoDB write units and 10 S3 PUTs per invocation, and at most $0.006 per million events (1/10 of Managed Flink with 1 + 1 KPU). Cost excludes Kinesis (the same for all); Lambda duration is the handler time measured here, on emulators, on a shared machine. The cold start is the first invocation of a new container, which loads the whole state.',
    '',
    '| system | keys | records / invocation | DynamoDB WRU | RRU | S3 PUT+LIST | S3 GET | ms | state rows | cold start ms | $ / M events |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}
