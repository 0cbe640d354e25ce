import { formatCsv, formatTable } from '../query/format.js';
import { recordBytes, type StagedDeadLetter } from './select.js';

/** Output formats of `sluice dead-letters`: `sluice query`'s, plus `records` (the original bytes). */
export const DEAD_LETTER_FORMATS = ['table', 'json', 'jsonl', 'csv', 'records'] as const;
export type DeadLetterFormat = (typeof DEAD_LETTER_FORMATS)[number];

/** Longest reason and data preview in the table (the other formats keep everything). */
const TABLE_REASON_CHARS = 80;
const TABLE_DATA_CHARS = 40;

const COLUMNS = [
  'batch',
  'shard',
  'position',
  'partitionKey',
  'bytes',
  'operator',
  'reason',
  'data',
] as const;

/**
 * Renders dead letters. `json`/`jsonl` are the stored letters as they are (`data` base64, `row`
 * when there was one) — an export that loses nothing; `csv` has one column per field with `data`
 * in base64; `table` is for reading (reason and a text preview of the bytes, shortened);
 * `records` prints each letter's original record as text, one per line, ready to fix and `sluice
 * push` again (letters without bytes, or whose bytes hold a line break, are left out and counted
 * by the caller through {@link unprintableRecords}).
 */
export function renderDeadLetters(format: DeadLetterFormat, letters: readonly StagedDeadLetter[]): string {
  // A two-stage query's letters name their stage (`stage-1`, `stage-2`) in a first column.
  const columns: string[] = letters.some((letter) => letter.stage !== undefined)
    ? ['stage', ...COLUMNS]
    : [...COLUMNS];
  switch (format) {
    case 'json':
      return `${JSON.stringify(letters, null, 2)}\n`;
    case 'jsonl':
      return letters.map((letter) => `${JSON.stringify(letter)}\n`).join('');
    case 'records':
      return letters
        .flatMap((letter) => {
          const text = recordText(letter);
          return text === undefined ? [] : [`${text}\n`];
        })
        .join('');
    case 'csv':
      return formatCsv(
        columns.map((name) => ({ name, type: 'json' })),
        letters.map((letter) => ({ ...fields(letter), data: letter.data ?? null })),
      );
    case 'table':
      return formatTable(
        columns,
        letters.map((letter) => ({
          ...fields(letter),
          reason: shorten(letter.reason, TABLE_REASON_CHARS),
          data: preview(letter),
        })),
      );
  }
}

/** Letters `records` cannot print: no bytes kept, or bytes that are not one line of text. */
export function unprintableRecords(letters: readonly StagedDeadLetter[]): number {
  return letters.filter((letter) => recordText(letter) === undefined).length;
}

function fields(letter: StagedDeadLetter): Record<string, unknown> {
  return {
    stage: letter.stage ?? null,
    batch: letter.batchId,
    shard: letter.shard,
    position: letter.position ?? null,
    partitionKey: letter.partitionKey ?? null,
    bytes: recordBytes(letter)?.byteLength ?? null,
    operator: letter.operator ?? null,
    reason: letter.reason,
  };
}

function recordText(letter: StagedDeadLetter): string | undefined {
  const bytes = recordBytes(letter);
  if (bytes === undefined) return undefined;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  return /[\r\n]/.test(text) ? undefined : text;
}

function preview(letter: StagedDeadLetter): string | null {
  const bytes = recordBytes(letter);
  if (bytes === undefined)
    return letter.row === undefined ? null : shorten(JSON.stringify(letter.row), TABLE_DATA_CHARS);
  // Control characters would break the table's alignment: show them escaped.
  let text = '';
  for (const char of new TextDecoder().decode(bytes)) {
    const code = char.charCodeAt(0);
    text += code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : char;
  }
  return shorten(text, TABLE_DATA_CHARS);
}

function shorten(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}
