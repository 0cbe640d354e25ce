import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqlError } from '../errors.js';
import { plainValue } from './format.js';
import type { ResultColumn } from './read-results.js';

/** DuckDB column types for the sink's column types (unknown ones are auto-detected). */
const DUCKDB_TYPES: Readonly<Record<string, string>> = {
  boolean: 'BOOLEAN',
  int64: 'BIGINT',
  double: 'DOUBLE',
  string: 'VARCHAR',
  timestamp: 'TIMESTAMP',
  window: 'STRUCT(start TIMESTAMP, "end" TIMESTAMP)',
};

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function quoteString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A SQL result: its column names and plain rows. */
export interface SqlResult {
  readonly columns: readonly ResultColumn[];
  readonly rows: readonly Record<string, unknown>[];
}

/**
 * Runs `sql` over the result rows with an embedded DuckDB (in memory, offline: only its built-in
 * JSON reader is used). The rows are the table `result`, also reachable by the query's name
 * (quoted, e.g. `"page-views"`); timestamps and windows keep their types.
 *
 * @example
 * await runSql('select page, sum(views) as views from result group by page order by views desc', columns, rows, 'page-views')
 */
export async function runSql(
  sql: string,
  columns: readonly ResultColumn[],
  rows: readonly Record<string, unknown>[],
  queryName: string,
): Promise<SqlResult> {
  // Loaded only for --sql: the native module costs start-up time every other command can skip.
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const directory = await mkdtemp(join(tmpdir(), 'sluice-sql-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const typed = columns.filter((column) => DUCKDB_TYPES[column.type] !== undefined);
    const allTyped = columns.length > 0 && typed.length === columns.length;
    if (rows.length === 0) {
      const definition =
        columns.length === 0
          ? '"no_rows" VARCHAR'
          : columns.map((c) => `${quoteIdentifier(c.name)} ${DUCKDB_TYPES[c.type] ?? 'VARCHAR'}`).join(', ');
      await connection.run(`CREATE TABLE result (${definition})`);
    } else {
      const file = join(directory, 'result.json');
      await writeFile(file, JSON.stringify(rows));
      const typing = allTyped
        ? `, columns = {${columns.map((c) => `${quoteString(c.name)}: ${quoteString(DUCKDB_TYPES[c.type]!)}`).join(', ')}}`
        : '';
      await connection.run(
        `CREATE TABLE result AS SELECT * FROM read_json(${quoteString(file)}, format = 'array'${typing})`,
      );
    }
    if (queryName !== 'result') {
      await connection.run(`CREATE VIEW ${quoteIdentifier(queryName)} AS SELECT * FROM result`);
    }
    let reader: Awaited<ReturnType<typeof connection.runAndReadAll>>;
    try {
      reader = await connection.runAndReadAll(sql);
    } catch (error) {
      throw new SqlError((error as Error).message.split('\n')[0] ?? 'error', error);
    }
    const names = reader.columnNames();
    const resultColumns = names.map((name) => ({ name, type: 'json' }));
    const plain = reader.getRowObjectsJS().map((row) => {
      const out: Record<string, unknown> = {};
      for (const name of names) out[name] = plainValue(row[name], 'json');
      return out;
    });
    return { columns: resultColumns, rows: plain };
  } finally {
    connection.closeSync();
    instance.closeSync();
    await rm(directory, { recursive: true, force: true });
  }
}
