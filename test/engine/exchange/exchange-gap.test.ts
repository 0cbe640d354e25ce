import { describe, expect, it } from 'vitest';
import { type ExchangeOffset, ExchangeReader, MemoryExchange } from '../../../engine/exchange/index.js';

/*
 * Stage 2 reads an internal partition from its committed position: when the stream's retention
 * took records it had not finished with (rows waiting for their marker), the batch fails with
 * SLUICE_EXCHANGE_GAP; when nothing waited there (a quiet partition whose last record expired), it
 * reads on from the oldest record held and reports the trim.
 */

const NAME = 'q.exchange';
const rows = (origin: string, batchId: number, bucket: number) =>
  ({ v: 2, kind: 'rows', origin, batchId, bucket, index: 0, rows: [{ origin, batchId }] }) as const;
const marker = (origin: string, batchId: number, records: Record<string, number>) =>
  ({ v: 2, kind: 'marker', origin, batchId, records }) as const;

describe('gaps on the exchange (stage 2 reading past the retention)', () => {
  it('a marker whose records passed the retention before it came fails the batch, naming the cause', async () => {
    const exchange = new MemoryExchange(1);
    const reader = new ExchangeReader(exchange, NAME, 'exchange-0');
    // s0's rows arrive, then s1's batch (rows and marker): s0's rows wait for their marker.
    await exchange.put([rows('s0', 0, 3)]);
    await exchange.put([rows('s1', 0, 4)]);
    await exchange.putMarker(marker('s1', 0, { 4: 1 }));
    const first = (await reader.nextEndOffsets({}))!;
    expect(first[NAME]).toMatchObject({ pos: '3', applied: { s1: 0 } });
    expect((first[NAME] as ExchangeOffset).from).toBeUndefined(); // s0's rows wait at the first record
    expect((await reader.getBatch({}, first)).rows.get(NAME)).toEqual([{ origin: 's1', batchId: 0 }]);
    // Retention takes s0's rows before their marker comes: the marker counts one record, none is left.
    exchange.trim('exchange-0', '1');
    await exchange.putMarker(marker('s0', 0, { 3: 1 }));
    await expect(reader.nextEndOffsets(first)).rejects.toMatchObject({
      code: 'SLUICE_EXCHANGE_GAP',
      context: { partition: 'exchange-0', origin: 's0', batchId: 0, expected: 1, found: 0 },
    });
  });

  it('a committed position that passed the retention with rows waiting after it fails the batch', async () => {
    const exchange = new MemoryExchange(1);
    const reader = new ExchangeReader(exchange, NAME, 'exchange-0');
    await exchange.put([rows('s2', 0, 5)]);
    await exchange.putMarker(marker('s2', 0, { 5: 1 }));
    await exchange.put([rows('s0', 0, 3)]);
    await exchange.put([rows('s1', 0, 4)]);
    await exchange.putMarker(marker('s1', 0, { 4: 1 }));
    const first = (await reader.nextEndOffsets({}))!;
    expect(first[NAME]).toMatchObject({ pos: '5', from: '2', applied: { s2: 0, s1: 0 } });
    exchange.trim('exchange-0', '3');
    await exchange.putMarker(marker('s0', 0, { 3: 1 }));
    await expect(reader.nextEndOffsets(first)).rejects.toMatchObject({
      code: 'SLUICE_EXCHANGE_GAP',
      context: { partition: 'exchange-0', after: '2', firstHeld: '4' },
    });
    await expect(reader.nextEndOffsets(first)).rejects.toThrow(/retention/);
  });

  it('a quiet partition whose last record expired reads on from the oldest held, and reports it', async () => {
    const exchange = new MemoryExchange(1);
    const reader = new ExchangeReader(exchange, NAME, 'exchange-0');
    await exchange.put([rows('s0', 0, 1)]);
    await exchange.putMarker(marker('s0', 0, { 1: 1 }));
    const first = (await reader.nextEndOffsets({}))!;
    expect(first[NAME]).toMatchObject({ pos: '2', from: '2' }); // nothing waits
    exchange.trim('exchange-0', '2');
    await exchange.put([rows('s0', 1, 1)]);
    await exchange.putMarker(marker('s0', 1, { 1: 1 }));
    const second = (await reader.nextEndOffsets(first))!;
    expect(second[NAME]).toMatchObject({ pos: '4', applied: { s0: 1 } });
    expect((await reader.getBatch(first, second)).rows.get(NAME)).toEqual([{ origin: 's0', batchId: 1 }]);
    expect(exchange.trimmedReads).toEqual([
      { partition: 'exchange-0', after: '2', firstHeld: '3' },
      { partition: 'exchange-0', after: '2', firstHeld: '3' },
    ]);
  });
});
