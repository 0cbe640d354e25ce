/**
 * Memory: peak RSS of a handler process while it processes 10,000-record batches over a state of
 * 100,000 keys, then closes the window that holds them all (the largest single batch of state
 * work: one eviction of every group).
 *
 * Records take keys in turn, so batch i brings keys i·10k … i·10k+9,999 and the state grows by
 * 10,000 groups per batch until all 100,000 keys are live in one 1-minute window; the next
 * batches start the next window, the watermark passes the first window's end, and its 100,000
 * groups are evicted in one batch (update mode: tombstones, no output rows). Each handler runs
 * in a child process (bench/aws/memory-child.ts); its `maxRSS` is the figure.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchEndpoints } from './emulators.js';
import type { SystemName } from './systems.js';

const CHILD = fileURLToPath(new URL('./memory-child.ts', import.meta.url));

export interface MemoryChildInput {
  readonly endpoints: BenchEndpoints;
  readonly system: SystemName;
  readonly name: string;
  readonly records: number;
  readonly keys: number;
  readonly batches: number;
  /** Records per 50 s of event time (so that `keys` records fit in one 1-minute window). */
  readonly recordsPerWindow: number;
}

export interface MemoryChildOutput {
  readonly maxRssMb: number;
  /** RSS once the modules are loaded and the handler is built, before the first batch. */
  readonly baselineRssMb: number;
  readonly baselineMaxRssMb: number;
  readonly peakHeapMb: number;
  readonly batchMs: readonly number[];
  readonly rssAfterMb: readonly number[];
  /** The peak so far (`maxRSS`) after each batch. */
  readonly maxRssAfterMb: readonly number[];
  readonly engineBatches: number;
}

export interface MemoryRun extends MemoryChildOutput {
  readonly system: SystemName;
  readonly records: number;
  readonly keys: number;
  readonly batches: number;
}

export interface MemoryOptions {
  readonly endpoints: BenchEndpoints;
  readonly records: number;
  readonly keys: number;
  readonly runId: string;
  /** Naive batches (its memory does not depend on state). @default 1 */
  readonly naiveBatches?: number;
  readonly log?: (line: string) => void;
}

/** Runs sluice and the naive handler in child processes; returns their peaks. */
export async function measureMemory(options: MemoryOptions): Promise<MemoryRun[]> {
  const { records, keys } = options;
  // `fill` batches put every key into the first window (50 s of event time); batch b ends at
  // (b + 1)·50 s/fill, and the watermark (10 s behind) passes the window's end (60 s) once
  // (b + 1)·50/fill − 10 ≥ 60, i.e. after 1.4 × fill batches (one more: records run up to 5 s late).
  const fill = Math.ceil(keys / records);
  const sluiceBatches = Math.ceil(1.4 * fill) + 1;
  // The two children run side by side: RSS does not depend on the CPU they share, and it
  // shortens the section.
  const runs = await Promise.all(
    (['sluice', 'naive'] as const).map(async (system): Promise<MemoryRun> => {
      const batches = system === 'sluice' ? sluiceBatches : (options.naiveBatches ?? 1);
      const output = await runChild({
        endpoints: options.endpoints,
        system,
        name: `mem-${system[0]}-${options.runId}`,
        records,
        keys,
        batches,
        recordsPerWindow: keys,
      });
      options.log?.(
        `  memory: ${system}, ${batches} batches of ${records.toLocaleString('en-US')} over ${keys.toLocaleString('en-US')} keys — peak RSS ${output.maxRssMb.toFixed(0)} MB`,
      );
      return { system, records, keys, batches, ...output };
    }),
  );
  return runs;
}

function runChild(input: MemoryChildInput): Promise<MemoryChildOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(input)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as MemoryChildOutput);
      else reject(new Error(`memory child (${input.system}) exited with ${code}: ${stderr}`));
    });
  });
}
