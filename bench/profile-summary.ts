/**
 * Summarizes a V8 `.cpuprofile` (from `node --cpu-prof`): the functions with the most self time
 * and the most total (inclusive) time, so "where does the time go" has a short answer.
 *
 * Usage: `npx tsx bench/profile-summary.ts <file.cpuprofile> [--top 25] [--filter engine/]`
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, filter: { type: 'string', default: '' } },
});

const file = positionals[0];
if (file === undefined) {
  console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [--top N] [--filter text]');
  process.exit(0);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const top = Number(values.top);

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const label = (node: ProfileNode): string => {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^file:\/\//, '').replace(process.cwd(), '.');
  return `${functionName || '(anonymous)'} ${where ? `${where}:${lineNumber + 1}` : ''}`.trim();
};

const selfUs = new Map<string, number>();
const totalUs = new Map<string, number>();
let allUs = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  allUs += dt;
  let node = byId.get(profile.samples[i]!);
  if (node === undefined) continue;
  const leaf = label(node);
  selfUs.set(leaf, (selfUs.get(leaf) ?? 0) + dt);
  // Count each function once per sample even when it recurses.
  const seen = new Set<string>();
  while (node !== undefined) {
    const name = label(node);
    if (!seen.has(name)) {
      seen.add(name);
      totalUs.set(name, (totalUs.get(name) ?? 0) + dt);
    }
    const up = parent.get(node.id);
    node = up === undefined ? undefined : byId.get(up);
  }
}

const print = (title: string, table: Map<string, number>) => {
  console.log(`\n${title}`);
  const rows = [...table]
    .filter(([name]) => name.includes(values.filter))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  for (const [name, us] of rows) {
    console.log(
      `${((100 * us) / allUs).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${name}`,
    );
  }
};

console.log(`${file}: ${(allUs / 1000).toFixed(0)} ms sampled`);
print('self time', selfUs);
print('total time', totalUs);
