import type { StandardSchemaV1 } from '@standard-schema/spec';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createRecordDecoder,
  type DecodedRecord,
  HEARTBEAT_PARTITION_KEY,
  heartbeatRecordData,
  KinesisBatchSource,
  sourcesOf,
} from '../../../../engine/aws/kinesis/index.js';
import { type Row, readStream } from '../../../../engine/index.js';
import { kinesisEvent, type PlainKinesisRecord } from '../../../support/kinesis-events.js';

const viewSchema = z.object({ page: z.string().min(1), user: z.string(), ts: z.number() });
const views = { name: 'views', eventTime: 'ts', schema: viewSchema, partitionKey: 'page' } as const;

/** Every kind of bad input, each between good records, with the reason it must get. */
const corpus: readonly { readonly record: PlainKinesisRecord; readonly reason: string | RegExp }[] = [
  { record: { data: { page: 'a', user: 'u1', ts: 1_000 }, partitionKey: 'a' }, reason: '' },
  { record: { data: '{"page": "a", "user":', partitionKey: 'a' }, reason: /^malformed JSON: / },
  {
    record: { data: { page: 'a', user: 5, ts: 1 }, partitionKey: 'a' },
    reason: /^schema: user: .*expected string/,
  },
  {
    record: { data: { page: 'a', user: 'u' }, partitionKey: 'a' },
    reason: "invalid event time in 'ts': missing",
  },
  {
    record: { data: { page: 'a', user: 'u', ts: 'yesterday' }, partitionKey: 'a' },
    reason: `invalid event time in 'ts': "yesterday" is neither epoch milliseconds nor an ISO-8601 string`,
  },
  {
    record: { data: { page: 'a', user: 'u', ts: true }, partitionKey: 'a' },
    reason: /^invalid event time in 'ts': got boolean/,
  },
  {
    record: { data: new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x7d]), partitionKey: 'a' },
    reason: 'invalid UTF-8',
  },
  { record: { data: new Uint8Array(), partitionKey: 'a' }, reason: 'empty record' },
  {
    record: { data: { page: 'a', user: 'x'.repeat(200), ts: 1 }, partitionKey: 'a' },
    reason: /^oversized: 2\d\d bytes, the limit is 128$/,
  },
  { record: { data: [1, 2], partitionKey: 'a' }, reason: 'not a JSON object: got array' },
  { record: { data: '42', partitionKey: 'a' }, reason: 'not a JSON object: got number' },
  { record: { data: 'null', partitionKey: 'a' }, reason: 'not a JSON object: got null' },
  {
    record: { data: { page: 'b', user: 'u', ts: 5 }, partitionKey: 'a' },
    reason: 'partition key mismatch: record has "a", query expects "b"',
  },
  {
    record: { data: { page: 'c', user: 'u3', ts: '1970-01-01T00:00:03.500Z' }, partitionKey: 'c' },
    reason: '',
  },
];

const decodeAll = async (
  records: readonly PlainKinesisRecord[],
  decode: ReturnType<typeof createRecordDecoder>,
) => Promise.all(kinesisEvent(records).Records.map((record) => decode(record)));

describe('decoding at the edge', () => {
  it('turns every bad record of the corpus into a dead letter with its reason and bytes; good ones pass', async () => {
    const decode = createRecordDecoder({ sources: [views], maxRecordBytes: 128 });
    const event = kinesisEvent(corpus.map((c) => c.record));
    const decoded = await Promise.all(event.Records.map((record) => decode(record)));

    decoded.forEach((item, i) => {
      const { reason } = corpus[i]!;
      const original = event.Records[i]!.kinesis;
      expect(item.seq).toBe(original.sequenceNumber);
      if (reason === '') {
        expect(item.kind).toBe('row');
        return;
      }
      expect(item.kind, `record ${i}`).toBe('dead');
      const dead = (item as Extract<DecodedRecord, { kind: 'dead' }>).deadLetter;
      if (typeof reason === 'string') expect(dead.reason).toBe(reason);
      else expect(dead.reason).toMatch(reason);
      expect(dead).toMatchObject({
        source: 'views',
        position: original.sequenceNumber,
        partitionKey: original.partitionKey,
        data: original.data,
      });
    });
    expect(decoded.filter((d) => d.kind === 'row').map((d) => (d as { row: Row }).row)).toEqual([
      { page: 'a', user: 'u1', ts: 1_000 },
      { page: 'c', user: 'u3', ts: 3_500 },
    ]);
  });

  it('keeps bad and good records of the same event apart through the batch source, in sequence order', async () => {
    const decode = createRecordDecoder({ sources: [views], maxRecordBytes: 128 });
    const source = new KinesisBatchSource({
      records: kinesisEvent(corpus.map((c) => c.record)).Records,
      decode,
    });
    const end = (await source.nextEndOffsets({}))!;
    const batch = await source.getBatch({}, end);
    expect(batch.rows.get('views')?.map((row) => row.ts)).toEqual([1_000, 3_500]);
    const expected = corpus.filter((c) => c.reason !== '');
    expect(batch.deadLetters).toHaveLength(expected.length);
    expect(batch.deadLetters.map((d) => Buffer.from(d.data!, 'base64'))).toEqual(
      expected.map((c) =>
        Buffer.from(Buffer.from(kinesisEvent([c.record]).Records[0]!.kinesis.data, 'base64')),
      ),
    );
  });

  it('reads event time as epoch ms or ISO-8601 and hands the schema the milliseconds', async () => {
    const decode = createRecordDecoder({ sources: [views] });
    const decoded = await decodeAll(
      [
        { data: { page: 'a', user: 'u', ts: 1_700_000_000_123 }, partitionKey: 'a' },
        { data: { page: 'a', user: 'u', ts: '2023-11-14T22:13:20.123Z' }, partitionKey: 'a' },
        { data: { page: 'a', user: 'u', ts: '2023-11-15T00:13:20.123+02:00' }, partitionKey: 'a' },
        { data: { page: 'a', user: 'u', ts: '2023-11-14T22:13:20.123' }, partitionKey: 'a' },
      ],
      decode,
    );
    expect(decoded.map((d) => (d.kind === 'row' ? d.row.ts : d))).toEqual([
      1_700_000_000_123, 1_700_000_000_123, 1_700_000_000_123, 1_700_000_000_123,
    ]);
  });

  it('turns a Date produced by the schema back into milliseconds', async () => {
    const schema = z.object({ id: z.string(), at: z.coerce.date() });
    const decode = createRecordDecoder({ sources: [{ name: 's', eventTime: 'at', schema }] });
    const [item] = await decodeAll([{ data: { id: 'x', at: '1970-01-01T00:00:10Z' } }], decode);
    expect(item).toMatchObject({ kind: 'row', row: { id: 'x', at: 10_000 } });
  });

  it('formats schema issues with their paths and supports asynchronous Standard Schema validators', async () => {
    const nested = z.object({ order: z.object({ lines: z.array(z.object({ qty: z.number() })) }) });
    const decode = createRecordDecoder({ sources: [{ name: 'orders', schema: nested }] });
    const [bad] = await decodeAll([{ data: { order: { lines: [{ qty: 1 }, { qty: 'two' }] } } }], decode);
    expect(bad).toMatchObject({
      kind: 'dead',
      deadLetter: { reason: expect.stringMatching(/^schema: order\.lines\[1\]\.qty: /) },
    });

    const asyncSchema: StandardSchemaV1<unknown, Row> = {
      '~standard': {
        version: 1,
        vendor: 'test',
        validate: async (value) =>
          (value as Row).ok === true
            ? { value: { ...(value as Row), checked: true } }
            : { issues: [{ message: 'not ok', path: [{ key: 'ok' }] }] },
      },
    };
    const decodeAsync = createRecordDecoder({ sources: [{ name: 's', schema: asyncSchema }] });
    const results = await decodeAll([{ data: { ok: true } }, { data: { ok: false } }], decodeAsync);
    expect(results[0]).toMatchObject({ kind: 'row', row: { ok: true, checked: true } });
    expect(results[1]).toMatchObject({ kind: 'dead', deadLetter: { reason: 'schema: ok: not ok' } });
  });

  it('routes rows to sources; an unknown name or a throwing route is a dead letter without a source', async () => {
    const clicks = readStream<{ type: string; id: string }>('clicks', {
      partitionKey: (row) => `c-${row.id}`,
    });
    const buys = readStream<{ type: string; id: string }>('buys');
    const query = clicks.union(buys).writeStream.build();
    const decode = createRecordDecoder({
      sources: sourcesOf(query),
      route: (row) => {
        if (row.type === 'boom') throw new Error('no type');
        return String(row.type);
      },
    });
    const decoded = await decodeAll(
      [
        { data: { type: 'clicks', id: '1' }, partitionKey: 'c-1' },
        { data: { type: 'buys', id: '2' }, partitionKey: 'whatever' },
        { data: { type: 'refunds', id: '3' } },
        { data: { type: 'boom', id: '4' } },
        { data: { type: 'clicks', id: '5' }, partitionKey: 'c-6' },
      ],
      decode,
    );
    expect(
      decoded.map((d) => (d.kind === 'row' ? d.source : d.kind === 'dead' ? d.deadLetter.reason : d.kind)),
    ).toEqual([
      'clicks',
      'buys',
      'unknown source "refunds" from route; sources: clicks, buys',
      'route failed: no type',
      'partition key mismatch: record has "c-6", query expects "c-5"',
    ]);
    expect((decoded[2] as { deadLetter: { source?: string } }).deadLetter.source).toBeUndefined();
    expect((decoded[4] as { deadLetter: { source?: string } }).deadLetter.source).toBe('clicks');
  });

  it('passes the record to route, and leaves the source out when a single-source route misses', async () => {
    const decode = createRecordDecoder({
      sources: [{ name: 'only' }],
      route: (_row, record) => (record.partitionKey.startsWith('o') ? 'only' : record.partitionKey),
    });
    const decoded = await decodeAll(
      [
        { data: { a: 1 }, partitionKey: 'ok' },
        { data: { a: 2 }, partitionKey: 'zzz' },
      ],
      decode,
    );
    expect(decoded[0]).toMatchObject({ kind: 'row', source: 'only', row: { a: 1 } });
    expect(decoded[1]).toMatchObject({
      kind: 'dead',
      deadLetter: { reason: 'unknown source "zzz" from route; sources: only' },
    });
    expect((decoded[1] as { deadLetter: object }).deadLetter).not.toHaveProperty('source');
  });

  it('refuses several sources without a route, and no sources at all', () => {
    expect(() => createRecordDecoder({ sources: [{ name: 'a' }, { name: 'b' }] })).toThrow(/pass a `route/);
    expect(() => createRecordDecoder({ sources: [] })).toThrow(
      expect.objectContaining({ code: 'SLUICE_KINESIS_SOURCE_CONFIG' }),
    );
  });

  it('checks the partition key with a function rule, and reports a missing key column', async () => {
    const decodeFn = createRecordDecoder({
      sources: [{ name: 's', partitionKey: (row) => `${row.tenant}/${row.id}` }],
    });
    const byFn = await decodeAll(
      [
        { data: { tenant: 't', id: 1 }, partitionKey: 't/1' },
        { data: { tenant: 't', id: 2 }, partitionKey: 't/1' },
      ],
      decodeFn,
    );
    expect(byFn.map((d) => d.kind)).toEqual(['row', 'dead']);

    const decodeColumn = createRecordDecoder({ sources: [{ name: 's' }], partitionKey: 'id' });
    const byColumn = await decodeAll(
      [
        { data: { id: 7 }, partitionKey: '7' },
        { data: { other: 1 }, partitionKey: '7' },
      ],
      decodeColumn,
    );
    expect(byColumn[0]).toMatchObject({ kind: 'row', row: { id: 7 } });
    expect(byColumn[1]).toMatchObject({
      kind: 'dead',
      deadLetter: { reason: "partition key check failed: the partition-key column 'id' is missing" },
    });
  });

  it('uses a user decoder instead of UTF-8 + JSON, and dead-letters what it throws on', async () => {
    const decode = createRecordDecoder({
      sources: [{ name: 'csv' }],
      decode: (bytes) => {
        const [id, value] = Buffer.from(bytes).toString('latin1').split(',');
        if (value === undefined) throw new Error('expected two fields');
        return { id, value: Number(value) };
      },
    });
    const decoded = await decodeAll(
      [{ data: 'a,1' }, { data: new Uint8Array([0xe9, 0x2c, 0x32]) }, { data: 'oops' }],
      decode,
    );
    expect(
      decoded.map((d) => (d.kind === 'row' ? d.row : d.kind === 'dead' ? d.deadLetter.reason : d)),
    ).toEqual([{ id: 'a', value: 1 }, { id: 'é', value: 2 }, 'decode failed: expected two fields']);
  });

  it('recognizes heartbeats by partition key without decoding them', async () => {
    const decode = createRecordDecoder({ sources: [views] });
    const [beat] = await decodeAll(
      [{ data: heartbeatRecordData(5), partitionKey: HEARTBEAT_PARTITION_KEY }],
      decode,
    );
    expect(beat).toEqual({ kind: 'heartbeat', seq: expect.any(String) });
    expect(JSON.parse(Buffer.from(heartbeatRecordData(5)).toString('utf8'))).toEqual({
      sluice: 'heartbeat',
      v: 1,
      sentAt: 5,
    });
  });

  it('rejects payloads that are not base64 (never produced by Lambda, but checked)', async () => {
    const decode = createRecordDecoder({ sources: [{ name: 's' }] });
    const record = kinesisEvent([{ data: {} }]).Records[0]!;
    const broken = { ...record, kinesis: { ...record.kinesis, data: 'e30*' } };
    expect(await decode(broken)).toMatchObject({
      kind: 'dead',
      deadLetter: { reason: 'invalid base64', data: 'e30*' },
    });
  });
});
