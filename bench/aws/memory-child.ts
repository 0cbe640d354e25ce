/**
 * The child process of the memory benchmark: one handler (sluice or naive) in a process of its
 * own, fed `batches` Lambda events of `records` records, then it prints its peak resident set
 * size (`process.resourceUsage().maxRSS`) as JSON. The emulators run in other processes, so the
 * figure is the handler's alone (plus Node, the SDK and tsx's loader).
 *
 * Usage (from bench/aws/memory.ts): `node --import tsx bench/aws/memory-child.ts '<json MemoryChildInput>'`.
 */

import type { MemoryChildInput, MemoryChildOutput } from './memory.js';
import { setUpSystem } from './systems.js';
import { eventOf, pageViews, type RecordSpec } from './workload.js';

const input = JSON.parse(process.argv[2] ?? '{}') as MemoryChildInput;
const system = await setUpSystem({
  endpoints: input.endpoints,
  system: input.system,
  name: input.name,
  units: false,
});
const spec: RecordSpec = {
  keys: input.keys,
  span: input.recordsPerWindow,
  spanMs: 50_000,
  cycleKeys: true,
  seed: 5,
};

let peakHeapMb = 0;
const sampler = setInterval(() => {
  peakHeapMb = Math.max(peakHeapMb, process.memoryUsage().heapUsed / 2 ** 20);
}, 5);
const baselineRssMb = process.memoryUsage().rss / 2 ** 20;
const baselineMaxRssMb = process.resourceUsage().maxRSS / 1024;
const batchMs: number[] = [];
const rssAfterMb: number[] = [];
const maxRssAfterMb: number[] = [];
for (let batch = 0; batch < input.batches; batch++) {
  const started = performance.now();
  const response = await system.invoke(
    eventOf(system.stream, pageViews(spec, batch * input.records, input.records), batch * input.records),
  );
  batchMs.push(performance.now() - started);
  if (response.batchItemFailures.length > 0) throw new Error(`batch ${batch} reported failures`);
  rssAfterMb.push(process.memoryUsage().rss / 2 ** 20);
  maxRssAfterMb.push(process.resourceUsage().maxRSS / 1024);
}
clearInterval(sampler);
const output: MemoryChildOutput = {
  maxRssMb: process.resourceUsage().maxRSS / 1024,
  baselineRssMb,
  baselineMaxRssMb,
  peakHeapMb,
  batchMs,
  rssAfterMb,
  maxRssAfterMb,
  engineBatches: input.system === 'sluice' ? (await system.progress('shardId-000000000000')).length : 0,
};
process.stdout.write(`${JSON.stringify(output)}\n`);
process.exit(0);
