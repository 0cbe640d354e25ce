import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { decodeStateFile, encodeStateFile } from '../../../../engine/state/changelog/state-file-format.js';
import { decodeStateValue, encodeStateValue } from '../../../../engine/state/changelog/state-value-codec.js';

describe('state value codec', () => {
  it('round-trips binary, bigints, nested lists, null and objects with $-keys', () => {
    const value = {
      k: ['page', 12, null],
      bytes: new Uint8Array([0, 7, 255]),
      buffer: Buffer.from([1, 2]),
      big: 2n ** 70n,
      nested: [[1.5, 2], { $bytes: 'not binary', $$x: 1, plain: true }],
    };
    const back = decodeStateValue(encodeStateValue(value)) as typeof value;
    expect(back.k).toEqual(['page', 12, null]);
    expect(back.bytes).toBeInstanceOf(Uint8Array);
    expect([...back.bytes]).toEqual([0, 7, 255]);
    expect([...(back.buffer as Uint8Array)]).toEqual([1, 2]);
    expect(back.big).toBe(2n ** 70n);
    expect(back.nested).toEqual([[1.5, 2], { $bytes: 'not binary', $$x: 1, plain: true }]);
  });

  it('writes plain JSON when there is nothing to tag', () => {
    expect(encodeStateValue({ n: 3, s: 'x', l: [1, null] })).toBe('{"n":3,"s":"x","l":[1,null]}');
    expect(decodeStateValue('7')).toBe(7);
  });
});

describe('changelog file format', () => {
  const rows = [
    { key: '["a"]', entry: { value: { n: 1, b: new Uint8Array([9]) }, expiresAt: 1_700_000_000_123 } },
    { key: '["b"]', entry: { value: 'text' } },
    { key: '["c"]', entry: undefined },
    { key: '["d"]', entry: { value: null } },
  ];

  it('round-trips keys, values, expiries and deletions in order', async () => {
    const back = await decodeStateFile(encodeStateFile(rows));
    expect(back.map((row) => row.key)).toEqual(['["a"]', '["b"]', '["c"]', '["d"]']);
    expect(back[0]!.entry!.expiresAt).toBe(1_700_000_000_123);
    expect([...(back[0]!.entry!.value as { b: Uint8Array }).b]).toEqual([9]);
    expect(back[1]!.entry).toEqual({ value: 'text' });
    expect(back[2]!.entry).toBeUndefined();
    expect(back[3]!.entry).toEqual({ value: null });
  });

  it('encodes the same rows to the same bytes, and an empty file too', async () => {
    expect(encodeStateFile(rows)).toEqual(encodeStateFile(rows));
    expect(await decodeStateFile(encodeStateFile([]))).toEqual([]);
  });

  it('is readable by DuckDB as a table of key, value, expiry, deleted', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-state-file-'));
    try {
      const file = join(dir, 'delta.parquet');
      await writeFile(file, encodeStateFile(rows));
      const instance = await DuckDBInstance.create(':memory:');
      const connection = await instance.connect();
      const reader = await connection.runAndReadAll(
        `SELECT key, json_extract(value::JSON, '$.n')::INT AS n, expiry, deleted FROM read_parquet('${file}') ORDER BY key`,
      );
      const result = reader.getRowObjectsJson();
      connection.closeSync();
      instance.closeSync();
      expect(result.map((row) => [row.key, row.n, row.expiry, row.deleted])).toEqual([
        ['["a"]', 1, 1_700_000_000_123, false],
        ['["b"]', null, null, false],
        ['["c"]', null, null, true],
        ['["d"]', null, null, false],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
