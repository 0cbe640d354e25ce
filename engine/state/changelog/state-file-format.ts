import { parquetRead, type SchemaElement } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { StateEntry } from '../state-store.js';
import { decodeStateValue, encodeStateValue } from './state-value-codec.js';

/**
 * One row of a changelog file: a key's entry after the batch, or its deletion. A snapshot holds
 * only live rows (every key of the state); a delta holds the keys a batch changed.
 */
export interface StateFileRow {
  readonly key: string;
  /** `undefined`: the batch deleted the key. */
  readonly entry: StateEntry | undefined;
}

/** Written into every file's `created_by`; no timestamps, so the same rows give the same bytes. */
const CREATED_BY = 'sluice state (hyparquet-writer)';

/**
 * The changelog file format (version 1): Parquet, Snappy, one row group, columns
 *
 * | column | Parquet type | meaning |
 * | --- | --- | --- |
 * | `key` | BYTE_ARRAY UTF8, required | the encoded group key |
 * | `value` | BYTE_ARRAY UTF8, optional | the state value as JSON text (`state-value-codec.ts`); null when deleted |
 * | `expiry` | DOUBLE, optional | `expiresAt` (epoch ms, or the operator's own unit); null when none |
 * | `deleted` | BOOLEAN, required | true: the batch deleted the key (deltas only) |
 *
 * DuckDB reads it as is: `SELECT key, value::JSON, expiry FROM 'x.parquet' WHERE NOT deleted`.
 */
export const STATE_FILE_SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: 4 },
  { name: 'key', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  { name: 'value', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  { name: 'expiry', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  { name: 'deleted', type: 'BOOLEAN', repetition_type: 'REQUIRED' },
];

export function encodeStateFile(rows: readonly StateFileRow[]): Uint8Array {
  const n = rows.length;
  const keys = new Array<string>(n);
  const values = new Array<string | null>(n);
  const expiries = new Array<number | null>(n);
  const deleted = new Array<boolean>(n);
  for (let i = 0; i < n; i++) {
    const { key, entry } = rows[i]!;
    keys[i] = key;
    values[i] = entry === undefined ? null : encodeStateValue(entry.value);
    expiries[i] = entry?.expiresAt ?? null;
    deleted[i] = entry === undefined;
  }
  const buffer = parquetWriteBuffer({
    schema: STATE_FILE_SCHEMA,
    columnData: [
      { name: 'key', data: keys },
      { name: 'value', data: values },
      { name: 'expiry', data: expiries },
      { name: 'deleted', data: deleted },
    ],
    codec: 'SNAPPY',
    rowGroupSize: Math.max(1, n),
    createdBy: CREATED_BY,
  });
  return new Uint8Array(buffer);
}

/** Reads a changelog file back into rows, in file order. */
export async function decodeStateFile(bytes: Uint8Array): Promise<StateFileRow[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let raw: unknown[][] = [];
  await parquetRead({
    file,
    columns: ['key', 'value', 'expiry', 'deleted'],
    rowFormat: 'array',
    onComplete: (rows) => {
      raw = rows as unknown[][];
    },
  });
  const rows = new Array<StateFileRow>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const [key, value, expiry, isDeleted] = raw[i]!;
    if (isDeleted === true) rows[i] = { key: key as string, entry: undefined };
    else {
      const decoded = decodeStateValue(value as string);
      rows[i] = {
        key: key as string,
        entry:
          expiry === null || expiry === undefined
            ? { value: decoded }
            : { value: decoded, expiresAt: expiry as number },
      };
    }
  }
  return rows;
}
