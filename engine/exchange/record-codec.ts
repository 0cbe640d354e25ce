import type { Row } from '../types.js';
import { ExchangeFormatVersionError } from './errors.js';
import { EXCHANGE_FORMAT_VERSION, type ExchangeRecord } from './exchange-record.js';

/**
 * The bytes of an exchange record on a transport that stores bytes (Kinesis): JSON, with byte
 * arrays (HyperLogLog sketches in partial aggregates) as `{"$bytes": base64}` so they come back as
 * `Uint8Array`s. Deterministic: the same record always gives the same bytes, so a replayed batch
 * re-puts identical records.
 */
export function encodeExchangeRecord(record: ExchangeRecord): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(record, replacer));
}

/**
 * Reads back what {@link encodeExchangeRecord} wrote; `undefined` for bytes that are not a record.
 * A record of another format version throws {@link ExchangeFormatVersionError}: its rows must not
 * be skipped as if they were noise.
 */
export function decodeExchangeRecord(bytes: Uint8Array): ExchangeRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes), reviver);
  } catch {
    return undefined;
  }
  const record = value as ExchangeRecord | null;
  if (record === null || typeof record !== 'object') return undefined;
  if (record.kind !== 'rows' && record.kind !== 'marker') return undefined;
  if (record.v !== EXCHANGE_FORMAT_VERSION)
    throw new ExchangeFormatVersionError(record.v, EXCHANGE_FORMAT_VERSION);
  return record;
}

/** The encoded size of one row inside a `rows` record, for packing records up to a byte limit. */
export function encodedRowBytes(row: Row): number {
  return utf8Length(JSON.stringify(row, replacer));
}

/** Room a `rows` record needs besides its rows: fields, separators, the input tag, the origin, and the origin again as the Kinesis partition key (which counts toward the 1 MiB), generously. */
export function envelopeBytes(origin: string, input = ''): number {
  return 256 + 2 * utf8Length(origin) + utf8Length(input);
}

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString('base64') };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const bytes = (value as { $bytes?: unknown }).$bytes;
    if (typeof bytes === 'string' && Object.keys(value).length === 1)
      return new Uint8Array(Buffer.from(bytes, 'base64'));
  }
  return value;
}

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
