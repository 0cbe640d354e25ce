/**
 * Mass eviction (issue 9): peak memory when one batch evicts every group of a large state, with
 * the expiry index and paged eviction against the scan it replaced, in the same run. Each case
 * runs in a child process of its own (bench/state/mass-eviction-child.ts): the engine with the
 * S3 changelog store over in-memory objects fills one window with `keys` groups in batches of
 * `batchRecords` records, then evicts them all in one batch (update mode: deletes only; append
 * mode: every group is also an output row).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MassEvictionInput, MassEvictionOutput } from './mass-eviction-child.js';

const CHILD = fileURLToPath(new URL('./mass-eviction-child.ts', import.meta.url));

export interface MassEvictionRun extends MassEvictionInput, MassEvictionOutput {}

export interface MassEvictionOptions {
  readonly keys: number;
  readonly batchRecords: number;
  readonly log?: (line: string) => void;
}

export async function measureMassEviction(options: MassEvictionOptions): Promise<MassEvictionRun[]> {
  const runs: MassEvictionRun[] = [];
  for (const mode of ['update', 'append'] as const) {
    // One child at a time: RSS does not depend on CPU, but the eviction's duration does.
    for (const eviction of ['scan', 'pages'] as const) {
      const input: MassEvictionInput = {
        keys: options.keys,
        batchRecords: options.batchRecords,
        mode,
        eviction,
      };
      const output = await runChild(input);
      options.log?.(
        `  ${mode}, ${eviction}: ${options.keys.toLocaleString('en-US')} keys evicted in one batch — RSS ${output.rssBeforeMb.toFixed(0)} MB before, peak ${output.evictionPeakMb.toFixed(0)} MB during (+${(output.evictionPeakMb - output.rssBeforeMb).toFixed(0)} MB), ${output.evictionMs.toFixed(0)} ms`,
      );
      runs.push({ ...input, ...output });
    }
  }
  return runs;
}

/** The section of docs/benchmarks.md. */
export function massEvictionMarkdown(runs: readonly MassEvictionRun[]): string {
  const n = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits });
  const rows = runs.map(
    (run) =>
      `| ${run.mode} | ${run.eviction === 'pages' ? 'expiry index, pages of 4,096' : 'scan of every key (before)'} | ${n(run.keys)} | ${n(run.removed)} | ${n(run.rowsOut)} | ${n(run.heapBeforeMb)} | ${n(run.rssBeforeMb)} | ${n(run.evictionPeakMb)} | +${n(run.evictionPeakMb - run.rssBeforeMb)} | ${n(run.evictionMs)} |`,
  );
  return [
    '## Mass eviction (issue 9)',
    '',
    `One window holding ${n(runs[0]?.keys ?? 0)} groups (filled by batches of ${n(runs[0]?.batchRecords ?? 0)} records), then one batch that evicts them all, on the engine with the S3 changelog store (in-memory objects, values not copied, as on Lambda), each case in a process of its own. "Peak during" is \`VmHWM\` reset just before the eviction batch, so it is that batch's own peak; the RSS before is taken after a full GC. The baseline answers \`expiring\` as the store did before the index: every key visited, the expiring ones copied into one array and sorted, then deleted one by one.`,
    '',
    '| mode | eviction | keys | removed | rows out | heap before MB | RSS before MB | peak during MB | jump MB | eviction ms |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n');
}

function runChild(input: MassEvictionInput): Promise<MassEvictionOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, JSON.stringify(input)], {
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
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as MassEvictionOutput);
      else reject(new Error(`mass-eviction child exited with ${code}: ${stderr}`));
    });
  });
}
