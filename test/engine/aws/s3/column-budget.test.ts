import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitByColumnBudget } from '../../../../engine/aws/s3/column-budget.js';
import { type ColumnSpec, inferColumns, inferType } from '../../../../engine/aws/s3/column-types.js';
import { S3FileSink, S3OutputReader } from '../../../../engine/aws/s3/index.js';
import type { Row } from '../../../../engine/index.js';
import { listKeys, useS3Bucket } from './s3-fixture.js';

// Schema-less rows with many distinct field names: column inference in one pass over the cells,
// and Parquet files bounded in rows × columns, so a batch's work is linear in its records.

const fixture = useS3Bucket('column-budget');

const valueArbitrary = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 3 }),
  fc.constant({ start: 0, end: 60_000 }),
  fc.constant(new Date(5)),
  fc.constant(new Uint8Array([1])),
  fc.array(fc.nat(3), { maxLength: 2 }),
);
const rowsArbitrary = fc.array(
  fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd', 'p'), valueArbitrary, { maxKeys: 4 }),
  { maxLength: 12 },
);

describe('inferColumns', () => {
  it('equals inferring each column over every row, in first-appearance order', () => {
    fc.assert(
      fc.property(rowsArbitrary, fc.boolean(), (rows, declare) => {
        const typing = declare ? { columnTypes: { b: 'json' as const }, timestampColumns: ['c'] } : {};
        const names: string[] = [];
        for (const row of rows)
          for (const name of Object.keys(row)) if (name !== 'p' && !names.includes(name)) names.push(name);
        const expected = names.map((name) => ({
          name,
          type:
            declare && name === 'b'
              ? 'json'
              : declare && name === 'c'
                ? 'timestamp'
                : inferType(rows.map((row) => row[name])),
        }));
        expect(inferColumns(rows, ['p'], typing)).toEqual(expected);
      }),
    );
  });
});

describe('splitByColumnBudget', () => {
  const columnsOf = (rows: readonly Row[]) => inferColumns(rows, [], {});

  it('keeps one file per maxRows with every column when the batch is within the budget', () => {
    const rows = Array.from({ length: 5 }, (_, i) => ({ k: i, [`f${i}`]: 'x' }));
    const columns = columnsOf(rows);
    const parts = splitByColumnBudget(rows, columns, 2, 1_000);
    expect(parts.map((part) => part.rows.length)).toEqual([2, 2, 1]);
    for (const part of parts) expect(part.columns).toBe(columns);
  });

  it('spreads sparse rows over files of at most maxCells, each with only its columns, in order', () => {
    // 40 rows, each with `id` and two fields of its own: 81 columns × 40 rows, far over 200 cells.
    const rows = Array.from({ length: 40 }, (_, i) => ({ id: i, [`a${i}`]: i, [`b${i}`]: `${i}` }));
    const columns = columnsOf(rows);
    const parts = splitByColumnBudget(rows, columns, 100, 200);
    expect(parts.flatMap((part) => part.rows)).toEqual(rows);
    for (const part of parts) {
      expect(part.columns.length * part.rows.length).toBeLessThanOrEqual(200);
      const names = new Set(part.rows.flatMap((row) => Object.keys(row)));
      expect(part.columns).toEqual(columns.filter((column: ColumnSpec) => names.has(column.name)));
    }
    // Work linear in rows: every file is close to the budget (9 rows × 19 columns = 171).
    expect(parts.length).toBe(5);
  });

  it('never splits dense rows for their width; a single row wider than the budget gets a file', () => {
    const dense = Array.from({ length: 30 }, (_, i) =>
      Object.fromEntries(Array.from({ length: 20 }, (_, c) => [`c${c}`, i])),
    );
    const parts = splitByColumnBudget(dense, columnsOf(dense), 100, 50);
    expect(parts.map((part) => part.rows.length)).toEqual([30]);
    const wide = [{ x: 1 }, Object.fromEntries(Array.from({ length: 60 }, (_, c) => [`w${c}`, c])), { x: 2 }];
    expect(splitByColumnBudget(wide, columnsOf(wide), 100, 50).map((part) => part.rows.length)).toEqual([
      1, 1, 1,
    ]);
  });

  it('lets the Parquet sink write a sparse schema-less batch as narrow files that read back whole', async () => {
    // 60 records with two fields of their own: 121 columns × 60 rows, over a 1,000-cell budget.
    const rows: Row[] = Array.from({ length: 60 }, (_, i) => ({ id: i, [`n${i}`]: i, [`s${i}`]: `v${i}` }));
    const options = {
      client: fixture.s3(),
      bucket: fixture.bucket,
      prefix: 'tests',
      query: 'sparse',
      shard: 'shardId-000000000000',
      outputMode: 'append' as const,
      format: 'parquet' as const,
      maxCellsPerFile: 1_000,
    };
    const manifest = await new S3FileSink(options).write(1, rows, []);
    expect(manifest.columns).toHaveLength(121);
    // A file stops at 22 rows: 22 × 45 columns = 990 cells ≤ 1,000 < 23 × 47.
    expect(manifest.files.map((file) => file.rows)).toEqual([22, 22, 16]);
    expect(await listKeys(fixture.s3(), fixture.bucket, 'tests/sparse/data/')).toHaveLength(3);
    const read = await new S3OutputReader({ ...options }).readRows();
    expect(read).toHaveLength(60);
    // Each row comes back with its own fields (a column of another file is not in its file).
    for (const [i, row] of read.entries()) {
      const own = Object.fromEntries(Object.entries(row).filter(([, value]) => value !== null));
      expect(own).toEqual(rows[i]);
    }
  }, 60_000);
});
