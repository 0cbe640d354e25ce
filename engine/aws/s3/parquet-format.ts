import { parquetReadObjects, type SchemaElement } from 'hyparquet';
import { type ColumnSource, parquetWriteBuffer } from 'hyparquet-writer';
import type { Row } from '../../types.js';
import { type ColumnSpec, type ColumnType, coerceValue } from './column-types.js';

/** Rows per Parquet row group: large groups suit Athena and DuckDB scans. */
export const PARQUET_ROW_GROUP_ROWS = 100_000;

/** Written into every file's `created_by`; no timestamps, so the same rows give the same bytes. */
const CREATED_BY = 'sluice (hyparquet-writer)';

/**
 * Writes rows as one Parquet file (Snappy-compressed, built-in compressor, no native code),
 * with the schema the columns say (see `column-types.ts` for the mapping): every column is
 * OPTIONAL, a `window` is a struct `<start, end>` of TIMESTAMP_MILLIS like Spark's window
 * column. The bytes depend only on the rows and columns.
 */
export function encodeParquet(rows: readonly Row[], columns: readonly ColumnSpec[]): Uint8Array {
  const schema: SchemaElement[] = [{ name: 'root', num_children: columns.length }];
  for (const column of columns) schema.push(...schemaElements(column));
  // One pass over each row's own fields (not one lookup per column per row: schema-less rows
  // have few of the many columns, and a missed lookup on such objects is slow).
  const index = new Map(columns.map((column, i) => [column.name, i]));
  const data = columns.map(() => new Array<unknown>(rows.length).fill(null));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (const name of Object.keys(row)) {
      const i = index.get(name);
      if (i !== undefined) data[i]![r] = physicalValue(row[name], columns[i]!.type);
    }
  }
  const columnData: ColumnSource[] = columns.map((column, i) => ({ name: column.name, data: data[i]! }));
  const buffer = parquetWriteBuffer({
    schema,
    columnData,
    codec: 'SNAPPY',
    rowGroupSize: PARQUET_ROW_GROUP_ROWS,
    createdBy: CREATED_BY,
  });
  return new Uint8Array(buffer);
}

function schemaElements(column: ColumnSpec): SchemaElement[] {
  const name = column.name;
  const repetition_type = 'OPTIONAL' as const;
  switch (column.type) {
    case 'boolean':
      return [{ name, type: 'BOOLEAN', repetition_type }];
    case 'int64':
      return [{ name, type: 'INT64', repetition_type }];
    case 'double':
      return [{ name, type: 'DOUBLE', repetition_type }];
    case 'string':
      return [{ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type }];
    case 'timestamp':
      return [{ name, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type }];
    case 'window':
      return [
        { name, repetition_type, num_children: 2 },
        { name: 'start', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type },
        { name: 'end', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type },
      ];
    case 'json':
      return [{ name, type: 'BYTE_ARRAY', converted_type: 'JSON', repetition_type }];
    case 'binary':
      return [{ name, type: 'BYTE_ARRAY', repetition_type }];
  }
}

/** The value the writer expects: BigInt for INT64, epoch ms numbers for timestamps. */
function physicalValue(value: unknown, type: ColumnType): unknown {
  if (value === null || value === undefined) return null;
  const coerced = coerceValue(value, type);
  const plain = coerced.ok ? coerced.value : value;
  if (plain === null) return null;
  if (type === 'int64') return BigInt(plain as number | bigint);
  return plain;
}

/**
 * Reads a Parquet data object back into rows as the sink got them: timestamps as epoch ms,
 * INT64 as numbers (bigints beyond 2^53), windows as `{ start, end }`, JSON columns parsed.
 * A value missing from the written row reads back as `null`.
 */
export async function decodeParquet(bytes: Uint8Array, columns: readonly ColumnSpec[]): Promise<Row[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const rows = await parquetReadObjects({
    file,
    utf8: false,
    parsers: { timestampFromMilliseconds: (millis: bigint) => Number(millis) },
  });
  const types = new Map(columns.map((column) => [column.name, column.type]));
  return rows.map((raw) => {
    const row: Row = {};
    for (const [name, value] of Object.entries(raw)) row[name] = logicalValue(value, types.get(name));
    return row;
  });
}

function logicalValue(value: unknown, type: ColumnType | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint' && type !== 'timestamp') {
    return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  }
  return value;
}
