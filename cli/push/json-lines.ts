import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { UnreadableFileError } from '../errors.js';

/** One line of the input, numbered from 1. */
export interface InputLine {
  readonly lineNumber: number;
  readonly text: string;
  /** Bytes of the input consumed up to and including this line (for progress). */
  readonly bytesRead: number;
}

/** An opened input: its lines, and its size when it is a file. */
export interface OpenedInput {
  readonly name: string;
  readonly sizeBytes?: number;
  readonly lines: AsyncIterable<InputLine>;
}

/**
 * Opens a JSON Lines input: a file path, or `-` / nothing for standard input. A file that cannot
 * be opened is an {@link UnreadableFileError} before anything is pushed.
 */
export async function openInput(
  file: string | undefined,
  stdin: Readable = process.stdin,
): Promise<OpenedInput> {
  if (file === undefined || file === '-') return { name: 'standard input', lines: readLines(stdin) };
  let size: number;
  try {
    const info = await stat(file);
    if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = info.size;
  } catch (error) {
    throw new UnreadableFileError(file, error);
  }
  const stream = createReadStream(file);
  // Surface an open error (e.g. EACCES) as the one-line error rather than a stack trace.
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve());
    stream.once('error', (error) => reject(new UnreadableFileError(file, error)));
  });
  return { name: file, sizeBytes: size, lines: readLines(stream) };
}

async function* readLines(input: Readable): AsyncGenerator<InputLine> {
  const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  let bytesRead = 0;
  for await (const text of reader) {
    lineNumber += 1;
    bytesRead += Buffer.byteLength(text) + 1;
    yield { lineNumber, text, bytesRead };
  }
}

/** Kinesis limits on one record (data plus partition key) and on one partition key. */
export const KINESIS_LIMITS = {
  maxRecordBytes: 1024 * 1024,
  maxPartitionKeyLength: 256,
  maxRecordsPerCall: 500,
  maxBytesPerCall: 5 * 1024 * 1024,
} as const;

/** A line ready to push, or why it cannot be pushed. */
export type ParsedLine =
  | {
      readonly kind: 'record';
      readonly lineNumber: number;
      readonly partitionKey: string;
      readonly data: Uint8Array;
    }
  | { readonly kind: 'blank'; readonly lineNumber: number }
  | { readonly kind: 'malformed'; readonly lineNumber: number; readonly reason: string };

/**
 * Turns one line into a Kinesis record: the line's bytes as data and the value of the
 * `partitionKey` field as partition key. A line that is not a JSON object, lacks the field, or
 * exceeds Kinesis's limits is `malformed` with the reason; blank lines are skipped.
 */
export function parseLine(line: InputLine, partitionKeyField: string): ParsedLine {
  const text = line.text.trim();
  if (text === '') return { kind: 'blank', lineNumber: line.lineNumber };
  const malformed = (reason: string): ParsedLine => ({
    kind: 'malformed',
    lineNumber: line.lineNumber,
    reason,
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return malformed(`not JSON (${(error as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return malformed(`not a JSON object (got ${Array.isArray(value) ? 'an array' : typeof value})`);
  }
  const key = (value as Record<string, unknown>)[partitionKeyField];
  if (key === undefined || key === null || key === '') {
    return malformed(`no '${partitionKeyField}' field to use as partition key`);
  }
  if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean') {
    return malformed(`'${partitionKeyField}' is ${typeof key}, a partition key must be a string or number`);
  }
  const partitionKey = String(key);
  if (partitionKey.length > KINESIS_LIMITS.maxPartitionKeyLength) {
    return malformed(`partition key is ${partitionKey.length} characters, Kinesis takes at most 256`);
  }
  const data = new TextEncoder().encode(text);
  if (data.byteLength + Buffer.byteLength(partitionKey) > KINESIS_LIMITS.maxRecordBytes) {
    return malformed(`record is ${data.byteLength} bytes, Kinesis takes at most 1 MiB`);
  }
  return { kind: 'record', lineNumber: line.lineNumber, partitionKey, data };
}
