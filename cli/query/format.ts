import type { Row } from '../../engine/types.js';
import type { ResultColumn } from './read-results.js';

/** Output formats of `sluice query`. */
export const OUTPUT_FORMATS = ['table', 'json', 'jsonl', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/**
 * A value as JSON shows it: timestamps (epoch ms in a `timestamp` column, Dates) as ISO-8601,
 * windows as `{start, end}` in ISO-8601, bigints as numbers when safe (strings otherwise), bytes
 * as base64.
 */
export function plainValue(value: unknown, type: string): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (type === 'timestamp' && typeof value === 'number') return new Date(value).toISOString();
  if (type === 'window' && isWindow(value)) {
    return { start: new Date(value.start).toISOString(), end: new Date(value.end).toISOString() };
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = plainValue(inner, 'json');
    return out;
  }
  if (Array.isArray(value)) return value.map((inner) => plainValue(inner, 'json'));
  return value;
}

function isWindow(value: unknown): value is { start: number; end: number } {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { start?: unknown }).start === 'number' &&
    typeof (value as { end?: unknown }).end === 'number'
  );
}

/** A row with every value made plain ({@link plainValue}), columns in result order. */
export function plainRow(row: Row, columns: readonly ResultColumn[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of columns) out[column.name] = plainValue(row[column.name], column.type);
  return out;
}

/** `2026-11-25T10:01:00.000Z` → `2026-11-25 10:01:00` (milliseconds kept when not zero). */
export function compactTime(iso: string): string {
  return iso
    .replace('T', ' ')
    .replace(/\.000Z$/, '')
    .replace(/Z$/, '');
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** One table or CSV cell. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return ISO.test(value) ? compactTime(value) : value;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const window = value as { start?: unknown; end?: unknown };
    if (
      typeof window.start === 'string' &&
      typeof window.end === 'string' &&
      Object.keys(value).length === 2
    ) {
      const start = compactTime(window.start);
      const end = compactTime(window.end);
      // Same day: show the end's time only.
      return `${start} – ${end.slice(0, 10) === start.slice(0, 10) ? end.slice(11) : end}`;
    }
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Rows as an aligned text table (numbers right-aligned). */
export function formatTable(columns: readonly string[], rows: readonly Record<string, unknown>[]): string {
  const cells = rows.map((row) => columns.map((column) => cellText(row[column])));
  const numeric = columns.map((column) =>
    rows.every((row) => row[column] === null || row[column] === undefined || typeof row[column] === 'number'),
  );
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((line) => line[i]!.length)));
  const pad = (text: string, i: number) => (numeric[i] ? text.padStart(widths[i]!) : text.padEnd(widths[i]!));
  const lines = [
    columns.map(pad).join('  ').trimEnd(),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...cells.map((line) => line.map(pad).join('  ').trimEnd()),
  ];
  return `${lines.join('\n')}\n`;
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** RFC 4180 CSV with a header; window columns split into `<name>.start` and `<name>.end`. */
export function formatCsv(
  columns: readonly ResultColumn[],
  rows: readonly Record<string, unknown>[],
): string {
  const header = columns.flatMap((column) =>
    column.type === 'window' ? [`${column.name}.start`, `${column.name}.end`] : [column.name],
  );
  const lines = rows.map((row) =>
    columns
      .flatMap((column) => {
        const value = row[column.name];
        if (column.type === 'window' && typeof value === 'object' && value !== null) {
          const window = value as { start?: unknown; end?: unknown };
          return [String(window.start ?? ''), String(window.end ?? '')];
        }
        if (value === null || value === undefined) return [''];
        return [typeof value === 'object' ? JSON.stringify(value) : String(value)];
      })
      .map(csvCell)
      .join(','),
  );
  return `${[header.map(csvCell).join(','), ...lines].join('\n')}\n`;
}

/** Renders plain rows in the chosen format. */
export function formatRows(
  format: OutputFormat,
  columns: readonly ResultColumn[],
  rows: readonly Record<string, unknown>[],
): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(rows, null, 2)}\n`;
    case 'jsonl':
      return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
    case 'csv':
      return formatCsv(columns, rows);
    case 'table':
      return formatTable(
        columns.map((column) => column.name),
        rows,
      );
  }
}
