/**
 * Schema-less Parquet with many distinct field names: time and peak RSS of writing one batch's
 * files, each record bringing `--fields` field names of its own, as the file sink writes them
 * (column budget, engine/aws/s3/column-budget.ts) next to the old layout (one file holding every
 * column of the batch) in the same run. Each measurement runs in a child process of its own so
 * that peak RSS is its own.
 *
 * Run: `npx tsx bench/parquet-width.ts [--rows 250,1000,4000] [--fields 10]`
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { splitByColumnBudget } from '../engine/aws/s3/column-budget.js';
import { inferColumns } from '../engine/aws/s3/column-types.js';
import { encodeParquet } from '../engine/aws/s3/parquet-format.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '250,1000,4000' },
    fields: { type: 'string', default: '10' },
    child: { type: 'string' },
  },
});
const fields = Number(values.fields);

function measure(rowCount: number, layout: 'budget' | 'one-file'): void {
  const rows = Array.from({ length: rowCount }, (_, i) => {
    const row: Record<string, unknown> = { id: i };
    for (let f = 0; f < fields; f++) row[`f_${i}_${f}`] = `value-${f}`;
    return row;
  });
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 2);
  const t0 = performance.now();
  const columns = inferColumns(rows, [], {});
  const parts = layout === 'budget' ? splitByColumnBudget(rows, columns, 100_000) : [{ rows, columns }];
  let bytes = 0;
  for (const part of parts) bytes += encodeParquet(part.rows, part.columns).byteLength;
  const ms = performance.now() - t0;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(
    JSON.stringify({
      rows: rowCount,
      columns: columns.length,
      files: parts.length,
      ms,
      bytes,
      peakMb: peak / 2 ** 20,
    }),
  );
}

if (values.child !== undefined) {
  const [rowCount, layout] = values.child.split(':');
  measure(Number(rowCount), layout as 'budget' | 'one-file');
} else {
  const self = fileURLToPath(import.meta.url);
  console.log(`Schema-less Parquet, ${fields} field names of its own per record:\n`);
  console.log('| records | columns | layout | files | time (s) | peak RSS (MB) |');
  console.log('| ---: | ---: | --- | ---: | ---: | ---: |');
  for (const rowCount of values.rows.split(',').map(Number)) {
    for (const layout of ['one-file', 'budget'] as const) {
      const out = execFileSync(
        process.execPath,
        ['--import', 'tsx', self, '--fields', String(fields), '--child', `${rowCount}:${layout}`],
        {
          encoding: 'utf8',
          maxBuffer: 1 << 20,
        },
      );
      const r = JSON.parse(out.trim().split('\n').at(-1)!) as {
        columns: number;
        files: number;
        ms: number;
        peakMb: number;
      };
      console.log(
        `| ${rowCount} | ${r.columns} | ${layout} | ${r.files} | ${(r.ms / 1000).toFixed(1)} | ${r.peakMb.toFixed(0)} |`,
      );
    }
  }
}
