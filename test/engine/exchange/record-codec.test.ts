import { describe, expect, it } from 'vitest';
import {
  decodeExchangeRecord,
  EXCHANGE_FORMAT_VERSION,
  ExchangeFormatVersionError,
  type ExchangeRecord,
  encodeExchangeRecord,
} from '../../../engine/exchange/index.js';

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('exchange record codec', () => {
  it('reads back rows (with byte arrays) and markers exactly', () => {
    const rows: ExchangeRecord = {
      v: 2,
      kind: 'rows',
      origin: 'q.stage-1/shardId-1',
      batchId: 7,
      bucket: 200,
      index: 3,
      rows: [{ campaign: 'c1', sketch: new Uint8Array([1, 250, 3]) }],
    };
    const marker: ExchangeRecord = {
      v: 2,
      kind: 'marker',
      origin: 'q.stage-1/shardId-1',
      batchId: 7,
      maxEventTimeMs: 60_000,
      records: { '200': 4 },
    };
    expect(decodeExchangeRecord(encodeExchangeRecord(rows))).toEqual(rows);
    expect(decodeExchangeRecord(encodeExchangeRecord(marker))).toEqual(marker);
  });

  it('ignores bytes that are not an exchange record', () => {
    expect(decodeExchangeRecord(new TextEncoder().encode('not json'))).toBeUndefined();
    expect(decodeExchangeRecord(bytes({ hello: 'world' }))).toBeUndefined();
    expect(decodeExchangeRecord(bytes({ v: 2, kind: 'other' }))).toBeUndefined();
  });

  it('refuses a record of another format version instead of dropping its rows', () => {
    const old = bytes({ v: 1, kind: 'rows', origin: 'o', batchId: 1, index: 0, rows: [{ a: 1 }] });
    expect(() => decodeExchangeRecord(old)).toThrow(ExchangeFormatVersionError);
    try {
      decodeExchangeRecord(old);
    } catch (error) {
      expect((error as ExchangeFormatVersionError).code).toBe('SLUICE_EXCHANGE_FORMAT_VERSION');
      expect((error as Error).message).toContain(`reads version ${EXCHANGE_FORMAT_VERSION}`);
      expect((error as Error).message).toContain('format version 1');
    }
    expect(() => decodeExchangeRecord(bytes({ v: 3, kind: 'marker', origin: 'o', batchId: 1 }))).toThrow(
      ExchangeFormatVersionError,
    );
  });
});
