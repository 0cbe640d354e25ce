import { describe, expect, it } from 'vitest';
import {
  type DataStream,
  type OutputMode,
  sessionWindow,
  staticRows,
  window,
} from '../../../engine/index.js';
import {
  clicks,
  expectRule,
  impressions,
  perUser,
  perUserFlat,
  watermarkedClicks,
  watermarkedImpressions,
  write,
} from './checker-fixtures.js';

// The output-mode matrix of DESIGN.md ("Allowed modes"), after Spark's UnsupportedOperationsSuite
// testOutputMode: every valid cell builds, every invalid cell names the rule that rejects it.

describe('output-mode matrix (DESIGN.md, Spark UnsupportedOperationsSuite)', () => {
  const shapes: Record<string, () => DataStream<any>> = {
    'windowed aggregation with watermark': () =>
      watermarkedClicks().groupBy(window('ts', '1 minute')).count(),
    'aggregation keyed by the watermarked column': () => watermarkedClicks().groupBy('ts', 'user').count(),
    'aggregation without watermark': () => clicks().groupBy('user').count(),
    'aggregation with a watermark on a non-key column': () => watermarkedClicks().groupBy('user').count(),
    'session window with watermark': () =>
      watermarkedClicks().groupBy('user', sessionWindow('ts', '5 minutes')).count(),
    mapGroupsWithState: () =>
      clicks()
        .groupByKey((c) => c.user)
        .mapGroupsWithState(perUser),
    "flatMapGroupsWithState('append')": () =>
      clicks()
        .groupByKey((c) => c.user)
        .flatMapGroupsWithState('append', perUserFlat),
    "flatMapGroupsWithState('update')": () =>
      clicks()
        .groupByKey((c) => c.user)
        .flatMapGroupsWithState('update', perUserFlat),
    'inner stream-stream join': () => clicks().join(impressions(), { on: ['ad'] }),
    'left outer stream-stream join with watermarks and a time range': () =>
      watermarkedImpressions().join(watermarkedClicks(), {
        on: ['ad'],
        how: 'left_outer',
        timeRange: { leftColumn: 'shownAt', rightColumn: 'ts', min: 0, max: '1 hour' },
      }),
    'right outer stream-stream join with watermarks and a time range': () =>
      watermarkedImpressions().join(watermarkedClicks(), {
        on: ['ad'],
        how: 'right_outer',
        timeRange: { leftColumn: 'shownAt', rightColumn: 'ts', min: '-5 minutes', max: '1 hour' },
      }),
    'stateless (filter, map, select)': () =>
      clicks()
        .filter((c) => c.price > 0)
        .map((c) => ({ ...c, cents: c.price * 100 }))
        .select('user', 'cents'),
    dropDuplicates: () => clicks().dropDuplicates(['user']),
    'dropDuplicatesWithinWatermark with watermark': () =>
      watermarkedClicks().dropDuplicatesWithinWatermark(['user']),
    'stream-static join': () =>
      clicks().join(staticRows([{ ad: 'a', campaign: 'c' }]), { on: ['ad'], how: 'left_outer' }),
    union: () => clicks().union(clicks().filter((c) => c.price > 10)),
    'dropDuplicates then aggregation': () => clicks().dropDuplicates(['user', 'ad']).groupBy('ad').count(),
    'windowed aggregation of a windowed aggregation': () =>
      watermarkedClicks()
        .groupBy(window('ts', '1 minute'))
        .count()
        .groupBy(window('window', '1 hour'))
        .count(),
  };

  // [shape, append, update, complete]: null = valid, otherwise the rule that rejects it.
  const matrix: ReadonlyArray<readonly [string, string | null, string | null, string | null]> = [
    ['windowed aggregation with watermark', null, null, null],
    ['aggregation keyed by the watermarked column', null, null, null],
    ['aggregation without watermark', 'APPEND_AGGREGATION_WITHOUT_WATERMARK', null, null],
    ['aggregation with a watermark on a non-key column', 'APPEND_AGGREGATION_WITHOUT_WATERMARK', null, null],
    ['session window with watermark', null, 'SESSION_WINDOW_IN_UPDATE_MODE', null],
    [
      'mapGroupsWithState',
      'MAP_GROUPS_WITH_STATE_NOT_IN_UPDATE_MODE',
      null,
      'COMPLETE_MODE_WITHOUT_AGGREGATION',
    ],
    [
      "flatMapGroupsWithState('append')",
      null,
      'FLAT_MAP_GROUPS_WITH_STATE_MODE_MISMATCH',
      'COMPLETE_MODE_WITHOUT_AGGREGATION',
    ],
    [
      "flatMapGroupsWithState('update')",
      'FLAT_MAP_GROUPS_WITH_STATE_MODE_MISMATCH',
      null,
      'COMPLETE_MODE_WITHOUT_AGGREGATION',
    ],
    ['inner stream-stream join', null, 'STREAM_JOIN_NOT_IN_APPEND_MODE', 'COMPLETE_MODE_WITHOUT_AGGREGATION'],
    [
      'left outer stream-stream join with watermarks and a time range',
      null,
      'STREAM_JOIN_NOT_IN_APPEND_MODE',
      'COMPLETE_MODE_WITHOUT_AGGREGATION',
    ],
    [
      'right outer stream-stream join with watermarks and a time range',
      null,
      'STREAM_JOIN_NOT_IN_APPEND_MODE',
      'COMPLETE_MODE_WITHOUT_AGGREGATION',
    ],
    ['stateless (filter, map, select)', null, null, 'COMPLETE_MODE_WITHOUT_AGGREGATION'],
    ['dropDuplicates', null, null, 'COMPLETE_MODE_WITHOUT_AGGREGATION'],
    ['dropDuplicatesWithinWatermark with watermark', null, null, 'COMPLETE_MODE_WITHOUT_AGGREGATION'],
    ['stream-static join', null, null, 'COMPLETE_MODE_WITHOUT_AGGREGATION'],
    ['union', null, null, 'COMPLETE_MODE_WITHOUT_AGGREGATION'],
    ['dropDuplicates then aggregation', 'APPEND_AGGREGATION_WITHOUT_WATERMARK', null, null],
    [
      'windowed aggregation of a windowed aggregation',
      null,
      'CHAINED_STATEFUL_OPERATORS_NOT_IN_APPEND_MODE',
      'CHAINED_STATEFUL_OPERATORS_NOT_IN_APPEND_MODE',
    ],
  ];

  const modes: readonly OutputMode[] = ['append', 'update', 'complete'];
  for (const [shape, ...expected] of matrix) {
    modes.forEach((mode, i) => {
      const rule = expected[i];
      it(`${shape} in ${mode} mode ${rule === null ? 'builds' : `is rejected by ${rule}`}`, () => {
        const build = () => write(shapes[shape]!(), mode).build();
        if (rule === null) {
          const query = build();
          expect(query.outputMode).toBe(mode);
          expect(query.name).toBe('q');
        } else expectRule(rule, build);
      });
    });
  }

  it('covers every shape it declares', () => {
    expect(new Set(matrix.map(([shape]) => shape))).toEqual(new Set(Object.keys(shapes)));
  });
});
