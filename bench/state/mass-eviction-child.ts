/**
 * The child process of the mass-eviction benchmark: the engine with the S3 changelog state store
 * (over in-memory objects, values not isolated, as on Lambda) fills one 1-minute window with
 * `keys` groups in batches of `batchRecords`, then one row moves the watermark past the window's
 * end and the no-data batch after it evicts every group at once. It prints, as JSON, the peak
 * resident set size of the process before that batch and during it.
 *
 * The peak during the eviction is read from `VmHWM` after resetting it (`/proc/self/clear_refs`,
 * Linux): `maxRSS` only ever grows, so it would hide an eviction that peaks lower than the
 * snapshots of the fill.
 *
 * Usage (from bench/state/mass-eviction.ts): `node --expose-gc --import tsx bench/state/mass-eviction-child.ts '<json>'`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  type BatchInput,
  type BatchSource,
  ManualClock,
  MemoryCheckpointStore,
  type Offsets,
  type Row,
  readStream,
  type Sink,
  StreamExecution,
  window,
} from '../../engine/index.js';
import { ChangelogStateStore } from '../../engine/state/changelog/changelog-state-store.js';
import { MemoryStateObjects } from '../../engine/state/changelog/state-objects.js';
import {
  byExpiryThenKey,
  type StateEntry,
  type StateStore,
  type StateWrite,
} from '../../engine/state/state-store.js';

export interface MassEvictionInput {
  readonly keys: number;
  readonly batchRecords: number;
  readonly mode: 'append' | 'update';
  /**
   * `pages`: the store as shipped (expiry index, eviction in pages). `scan`: the same store behind
   * a wrapper that answers `expiring` the way it was answered before the index (every key visited,
   * the expiring ones copied into one array and sorted) and offers no pages: the baseline.
   */
  readonly eviction: 'pages' | 'scan';
}

export interface MassEvictionOutput {
  /** Resident set size just before the eviction batch (after a full GC), MB. */
  readonly rssBeforeMb: number;
  /** V8 heap in use just before the eviction batch (after a full GC), MB: the state's own size. */
  readonly heapBeforeMb: number;
  /** Peak RSS of the whole fill, MB. */
  readonly fillPeakMb: number;
  /** Peak RSS while the eviction batch ran (`VmHWM` reset before it), MB. */
  readonly evictionPeakMb: number;
  readonly evictionMs: number;
  /** Rows the eviction batch wrote to the sink (append: every group; update: none). */
  readonly rowsOut: number;
  /** Keys deleted by the eviction batch, from its progress record. */
  readonly removed: number;
  readonly peakKnown: boolean;
}

const input = JSON.parse(process.argv[2] ?? '{}') as MassEvictionInput;
const START_MS = Date.UTC(2024, 0, 1);

/** Row batches handed out in order; offsets count batches. */
class RowBatches implements BatchSource {
  readonly batches: Row[][] = [];
  async nextEndOffsets(committed: Offsets): Promise<Offsets | undefined> {
    const done = (committed.views as number | undefined) ?? 0;
    return done < this.batches.length ? { views: done + 1 } : undefined;
  }
  async getBatch(start: Offsets, end: Offsets): Promise<BatchInput> {
    const rows: Row[] = [];
    for (let i = (start.views as number | undefined) ?? 0; i < (end.views as number); i++)
      rows.push(...this.batches[i]!);
    return { rows: new Map([['views', rows]]), deadLetters: [] };
  }
}

/** The baseline's store: everything delegated, except expiring (full scan) and no pages. */
class ScanningStore implements StateStore {
  readonly versioning: StateStore['versioning'];
  constructor(private readonly inner: StateStore) {
    this.versioning = inner.versioning;
  }
  getMany(namespace: string, keys: readonly string[], batchId: number) {
    return this.inner.getMany(namespace, keys, batchId);
  }
  async expiring(namespace: string, bound: number, batchId: number): Promise<Array<[string, StateEntry]>> {
    // The old store's shortcut: nothing expires, no scan (here asked of the index, one entry).
    const any = await this.inner.expiringPage!(namespace, bound, batchId, undefined, 1);
    if (any.length === 0) return [];
    const all = await this.inner.entries(namespace, batchId);
    return all
      .filter(([, entry]) => entry.expiresAt !== undefined && entry.expiresAt <= bound)
      .sort(byExpiryThenKey);
  }
  entries(namespace: string, batchId: number) {
    return this.inner.entries(namespace, batchId);
  }
  write(namespace: string, batchId: number, writes: readonly StateWrite[]) {
    return this.inner.write(namespace, batchId, writes);
  }
  drop(namespace: string) {
    return this.inner.drop(namespace);
  }
}

const kib = (line: string | undefined) => Number(/(\d+)/.exec(line ?? '')?.[1] ?? Number.NaN) / 1024;
const status = () => readFileSync('/proc/self/status', 'utf8').split('\n');
const hwmMb = () => kib(status().find((line) => line.startsWith('VmHWM')));
function resetPeak(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

const query = readStream<{ key: string; ts: number }>('views', { eventTime: 'ts', partitionKey: 'key' })
  .withWatermark('ts', '10 seconds')
  .groupBy(window('ts', '1 minute'), 'key')
  .count()
  .writeStream.queryName('mass-eviction')
  .outputMode(input.mode)
  .build();
let rowsOut = 0;
const sink: Sink = {
  description: 'count',
  async addBatch(_batchId, rows) {
    rowsOut += rows.length;
  },
};
const source = new RowBatches();
const changelog = new ChangelogStateStore({ objects: new MemoryStateObjects(), query: 'mass-eviction' });
const execution = new StreamExecution({
  query,
  source,
  stateStore: input.eviction === 'pages' ? changelog : new ScanningStore(changelog),
  checkpoints: new MemoryCheckpointStore(),
  sink,
  clock: new ManualClock(0),
});
// Fill: every key once, inside the first window (event time 0–50 s).
for (let from = 0; from < input.keys; from += input.batchRecords) {
  const rows: Row[] = [];
  for (let n = from; n < Math.min(input.keys, from + input.batchRecords); n++)
    rows.push({ key: `user-${n}`, ts: START_MS + Math.floor((n / input.keys) * 50_000) });
  source.batches.push(rows);
  await execution.processAllAvailable();
}
const fillPeakMb = hwmMb();
globalThis.gc?.();
const rssBeforeMb = process.memoryUsage().rss / 2 ** 20;
const heapBeforeMb = process.memoryUsage().heapUsed / 2 ** 20;
const peakKnown = resetPeak();
rowsOut = 0;
// One row far ahead: its batch moves the watermark; the no-data batch after it evicts everything.
source.batches.push([{ key: 'user-0', ts: START_MS + 200_000 }]);
const started = performance.now();
const outcomes = await execution.processAllAvailable();
const evictionMs = performance.now() - started;
const output: MassEvictionOutput = {
  rssBeforeMb,
  heapBeforeMb,
  fillPeakMb,
  evictionPeakMb: peakKnown ? hwmMb() : process.resourceUsage().maxRSS / 1024,
  evictionMs,
  rowsOut,
  removed: outcomes.reduce((sum, o) => sum + (o.progress.stateOperators[0]?.numRowsRemoved ?? 0), 0),
  peakKnown,
};
process.stdout.write(`${JSON.stringify(output)}\n`);
process.exit(0);
