import type { Row } from '../../types.js';
import type { ColumnSpec } from './column-types.js';

/**
 * Cells (rows × columns) one Parquet file may span before rows that bring new columns go to a
 * new file. A Parquet file stores every column for every row (a null is a definition level), and
 * the writer takes one array of row values per column, so a file's memory and time go with rows ×
 * columns. Schema-less rows with many distinct field names make both grow with the batch: 1,000
 * records of ten fields each are 10,000 columns × 1,000 rows — quadratic in records. Bounding the
 * cells per file keeps the work linear: sparse rows spread over more files, each narrow.
 * 4 million cells is 32 MB of value slots, and far above a typed query's files (10 columns ×
 * 100,000 rows = 1 million), which therefore keep one file per `maxRowsPerPart` as before.
 */
export const MAX_CELLS_PER_FILE = 4_000_000;

/** One file's rows and the batch columns it holds. */
export interface ColumnPart {
  readonly rows: Row[];
  readonly columns: readonly ColumnSpec[];
}

/**
 * Splits rows (in order) into files of at most `maxRows` rows. When the batch's rows × columns
 * stay within `maxCells`, every file holds every batch column, as always. Otherwise a file is
 * closed before a row whose new columns would take it past `maxCells`; rows that bring no new
 * column never close a file (dense rows keep files of `maxRows`), and each file holds only the
 * batch columns its rows have, in batch order with batch types. Deterministic in the rows, so a
 * replay writes the same files.
 */
export function splitByColumnBudget(
  rows: readonly Row[],
  columns: readonly ColumnSpec[],
  maxRows: number,
  maxCells = MAX_CELLS_PER_FILE,
): ColumnPart[] {
  if (rows.length * columns.length <= maxCells) {
    const parts: ColumnPart[] = [];
    for (let start = 0; start < rows.length; start += maxRows)
      parts.push({ rows: rows.slice(start, start + maxRows), columns });
    return parts;
  }
  const known = new Set(columns.map((column) => column.name));
  const parts: ColumnPart[] = [];
  let current: Row[] = [];
  let present = new Set<string>();
  const close = () => {
    if (current.length === 0) return;
    parts.push({ rows: current, columns: columns.filter((column) => present.has(column.name)) });
    current = [];
    present = new Set();
  };
  for (const row of rows) {
    const fresh = Object.keys(row).filter((name) => known.has(name) && !present.has(name));
    const full = current.length >= maxRows;
    const tooWide = fresh.length > 0 && (present.size + fresh.length) * (current.length + 1) > maxCells;
    if (full || tooWide) close();
    current.push(row);
    for (const name of Object.keys(row)) if (known.has(name)) present.add(name);
  }
  close();
  return parts;
}
