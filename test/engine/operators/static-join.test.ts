import { describe, expect, it } from 'vitest';
import { InvalidQueryError, staticRows } from '../../../engine/index.js';
import { MemoryStream, StreamTest } from '../../../engine/testkit/index.js';

interface Click {
  adId: string;
  user: string;
  clickTime: number;
}
interface Ad {
  adId: string;
  campaign: string;
  price?: number;
}

const ads: Ad[] = [
  { adId: 'a1', campaign: 'spring', price: 3 },
  { adId: 'a2', campaign: 'summer' },
  { adId: 'a2', campaign: 'summer-bis', price: 5 },
];

function clicksJoinedWithAds(
  how: 'inner' | 'left_outer' | 'left_semi' | 'left_anti',
  static_: readonly Ad[] = ads,
) {
  const clicks = new MemoryStream<Click>('clicks');
  const query = clicks
    .toStream()
    .join(staticRows(static_), { on: ['adId'], how })
    .writeStream.build();
  return { clicks, test: new StreamTest(query, [clicks]) };
}

describe('stream-static join', () => {
  it('left semi and left anti: the stream row as it is, once, by whether any static row matches', async () => {
    const rows = [
      { adId: 'a2', user: 'u1', clickTime: 1 },
      { adId: 'zz', user: 'u2', clickTime: 2 },
      { adId: 'a1', user: 'u3', clickTime: 3 },
    ];
    const semi = clicksJoinedWithAds('left_semi');
    semi.clicks.addData(...rows);
    // a2 has two static rows: still one output row.
    expect(await semi.test.processAllAvailable()).toEqual([rows[0], rows[2]]);
    const anti = clicksJoinedWithAds('left_anti');
    anti.clicks.addData(...rows);
    expect(await anti.test.processAllAvailable()).toEqual([rows[1]]);
  });

  it('inner: one row per matching static row, in stream then static order; no state', async () => {
    const { clicks, test } = clicksJoinedWithAds('inner');
    clicks.addData(
      { adId: 'a2', user: 'u1', clickTime: 1 },
      { adId: 'zz', user: 'u2', clickTime: 2 },
      { adId: 'a1', user: 'u3', clickTime: 3 },
    );
    expect(await test.processAllAvailable()).toEqual([
      { adId: 'a2', user: 'u1', clickTime: 1, campaign: 'summer' },
      { adId: 'a2', user: 'u1', clickTime: 1, campaign: 'summer-bis', price: 5 },
      { adId: 'a1', user: 'u3', clickTime: 3, campaign: 'spring', price: 3 },
    ]);
    clicks.addData({ adId: 'a1', user: 'u4', clickTime: 4 });
    expect(await test.processAllAvailable()).toEqual([
      { adId: 'a1', user: 'u4', clickTime: 4, campaign: 'spring', price: 3 },
    ]);
    expect(test.progress.at(-1)!.stateOperators).toEqual([]);
    expect(test.stateSnapshot()).toEqual({});
  });

  it('left outer: an unmatched stream row is output at once, with nulls for the static columns', async () => {
    const { clicks, test } = clicksJoinedWithAds('left_outer');
    clicks.addData({ adId: 'zz', user: 'u1', clickTime: 1 }, { adId: 'a1', user: 'u2', clickTime: 2 });
    expect(await test.processAllAvailable()).toEqual([
      { adId: 'zz', user: 'u1', clickTime: 1, campaign: null, price: null },
      { adId: 'a1', user: 'u2', clickTime: 2, campaign: 'spring', price: 3 },
    ]);
  });

  it('left outer keeps the stream row intact when a static column has the same name', async () => {
    const { clicks, test } = clicksJoinedWithAds('left_outer', [{ adId: 'a1', campaign: 'spring' }]);
    const stream = { adId: 'zz', user: 'u1', clickTime: 1, campaign: 'from-stream' };
    clicks.addData(stream);
    clicks.addData({ ...stream, adId: 'a1' });
    expect(await test.processAllAvailable()).toEqual([
      stream,
      // On a match the static side's value wins, as documented on `joinedRow`.
      { ...stream, adId: 'a1', campaign: 'spring' },
    ]);
  });

  it('null join keys match nothing, on either side (SQL `=`)', async () => {
    const clicks = new MemoryStream<{ adId: string | null; user: string }>('clicks');
    const query = clicks
      .toStream()
      .join(staticRows([{ adId: null, campaign: 'nobody' }]), { on: ['adId'], how: 'left_outer' })
      .writeStream.build();
    const test = new StreamTest(query, [clicks]);
    clicks.addData({ adId: null, user: 'u1' });
    expect(await test.processAllAvailable()).toEqual([{ adId: null, user: 'u1', campaign: null }]);
  });

  it('joins on several columns, keeping types apart', async () => {
    const events = new MemoryStream<{ country: string; tier: number | string; n: number }>('events');
    const query = events
      .toStream()
      .join(staticRows([{ country: 'fr', tier: 1, rate: 0.2 }]), { on: ['country', 'tier'] })
      .writeStream.build();
    const test = new StreamTest(query, [events]);
    events.addData(
      { country: 'fr', tier: 1, n: 1 },
      { country: 'fr', tier: '1', n: 2 },
      { country: 'de', tier: 1, n: 3 },
    );
    expect(await test.processAllAvailable()).toEqual([{ country: 'fr', tier: 1, n: 1, rate: 0.2 }]);
  });

  it('rejects a right outer join, which would preserve the static side', async () => {
    const clicks = new MemoryStream<Click>('clicks');
    expect(() =>
      clicks
        .toStream()
        .join(staticRows(ads), { on: ['adId'], how: 'right_outer' })
        .writeStream.build(),
    ).toThrow(InvalidQueryError);
  });
});
