import type { Row } from '../../types.js';
import { type ColumnSpec, coerceValue } from './column-types.js';

/**
 * JSON Lines data objects: one `JSON.stringify`-style object per line, keys in the row's own
 * order, `\n` after every line (UTF-8).
 *
 * Time is written the way Spark's JSON writer writes timestamps, and the way Athena's JSON SerDes
 * read them: `timestamp` columns as ISO-8601 strings in UTC with milliseconds
 * (`2024-05-01T12:00:00.000Z`), `window` columns as `{"start": ISO, "end": ISO}`. Binary values
 * are base64 strings, bigints numbers (strings when beyond 2^53), NaN and ±Infinity `null`; a
 * missing column stays missing. The manifest records the column types, and
 * {@link decodeJsonLines} uses them to give back epoch milliseconds, i.e. the rows the sink got.
 */
export function encodeJsonLines(rows: readonly Row[], columns: readonly ColumnSpec[]): Uint8Array {
  const types = new Map(columns.map((column) => [column.name, column.type]));
  let text = '';
  for (const row of rows) {
    const out: Row = {};
    for (const [name, value] of Object.entries(row)) {
      const type = types.get(name);
      if (type === undefined) continue; // partition columns live in the object's path
      out[name] = encodeValue(value, type);
    }
    text += `${JSON.stringify(out, jsonReplacer)}\n`;
  }
  return new TextEncoder().encode(text);
}

function encodeValue(value: unknown, type: ColumnSpec['type']): unknown {
  if (value === null || value === undefined) return value;
  const coerced = coerceValue(value, type);
  const plain = coerced.ok ? coerced.value : value;
  if (type === 'timestamp') return isoOf(plain as number);
  if (type === 'window') {
    const window = plain as { start: number; end: number };
    return { start: isoOf(window.start), end: isoOf(window.end) };
  }
  return plain;
}

function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * A `JSON.stringify` replacer for values plain JSON cannot hold: bigints become numbers (or
 * strings beyond 2^53) and Uint8Arrays base64 strings.
 */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') {
    return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value;
}

/** Parses a JSON Lines data object back into rows, turning time columns back into epoch ms. */
export function decodeJsonLines(bytes: Uint8Array, columns: readonly ColumnSpec[]): Row[] {
  const decoders = columns.flatMap((column) => {
    const decode = decoderFor(column.type);
    return decode === undefined ? [] : [[column.name, decode] as const];
  });
  const rows: Row[] = [];
  for (const line of new TextDecoder().decode(bytes).split('\n')) {
    if (line === '') continue;
    const row = JSON.parse(line) as Row;
    for (const [name, decode] of decoders) {
      const value = row[name];
      if (value !== null && value !== undefined) row[name] = decode(value);
    }
    rows.push(row);
  }
  return rows;
}

function decoderFor(type: ColumnSpec['type']): ((value: unknown) => unknown) | undefined {
  switch (type) {
    case 'timestamp':
      return (value) => Date.parse(value as string);
    case 'window':
      return (value) => {
        const window = value as { start: string; end: string };
        return { start: Date.parse(window.start), end: Date.parse(window.end) };
      };
    case 'binary':
      return (value) => new Uint8Array(Buffer.from(value as string, 'base64'));
    default:
      return undefined;
  }
}
