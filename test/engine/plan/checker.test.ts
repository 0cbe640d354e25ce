import { describe, expect, it } from 'vitest';
import {
  col,
  type DataStream,
  expr,
  GroupStateTimeout,
  InvalidQueryError,
  type JoinType,
  readStream,
  sessionWindow,
  staticRows,
  window,
} from '../../../engine/index.js';
import { RULES } from '../../../engine/plan/checker.js';
import {
  type Click,
  clicks,
  expectRule,
  type Impression,
  impressions,
  perUser,
  perUserFlat,
  producedRules,
  watermarkedClicks,
  watermarkedImpressions,
  write,
} from './checker-fixtures.js';

// One test per checker rule, after Spark's UnsupportedOperationsSuite; queries are built with the
// public API. The output-mode matrix is in checker-output-modes.test.ts.

describe('output-mode rules', () => {
  it('COMPLETE_MODE_WITHOUT_AGGREGATION', () => {
    expectRule(
      'COMPLETE_MODE_WITHOUT_AGGREGATION',
      () =>
        write(
          clicks().filter((c) => c.price > 1),
          'complete',
          'big-clicks',
        ).build(),
      "Query 'big-clicks'",
      'Use append or update',
    );
  });

  it('APPEND_AGGREGATION_WITHOUT_WATERMARK', () => {
    expectRule(
      'APPEND_AGGREGATION_WITHOUT_WATERMARK',
      () => write(clicks().groupBy(window('ts', '1 minute')).count(), 'append', 'per-minute').build(),
      "Query 'per-minute'",
      "withWatermark('<time column>', '<delay>')",
    );
  });

  it('APPEND_AGGREGATION_WITHOUT_WATERMARK: a select that drops the watermarked column drops the watermark', () => {
    expectRule('APPEND_AGGREGATION_WITHOUT_WATERMARK', () =>
      write(
        watermarkedClicks()
          .select('user', 'price')
          .map((c) => ({ ...c, ts: 0 }))
          .groupBy('ts')
          .count(),
        'append',
      ).build(),
    );
  });

  it('MAP_GROUPS_WITH_STATE_NOT_IN_UPDATE_MODE', () => {
    expectRule(
      'MAP_GROUPS_WITH_STATE_NOT_IN_UPDATE_MODE',
      () =>
        write(
          clicks()
            .groupByKey((c) => c.user)
            .mapGroupsWithState(perUser),
          'append',
          'sessions',
        ).build(),
      "Query 'sessions' uses mapGroupsWithState in append mode",
      "outputMode('update')",
    );
  });

  it('FLAT_MAP_GROUPS_WITH_STATE_MODE_MISMATCH', () => {
    expectRule(
      'FLAT_MAP_GROUPS_WITH_STATE_MODE_MISMATCH',
      () =>
        write(
          clicks()
            .groupByKey((c) => c.user)
            .flatMapGroupsWithState('append', perUserFlat),
          'update',
        ).build(),
      "flatMapGroupsWithState('append', ...) in update mode",
      "Use outputMode('append'), or declare flatMapGroupsWithState('update', ...)",
    );
  });

  it('STREAM_JOIN_NOT_IN_APPEND_MODE', () => {
    expectRule(
      'STREAM_JOIN_NOT_IN_APPEND_MODE',
      () => write(clicks().join(impressions(), { on: ['ad'] }), 'update').build(),
      "joins two streams (join(stream, { on: ['ad'], how: 'inner' })) in update mode",
      "Use outputMode('append')",
    );
  });

  it('STREAM_JOIN_NOT_IN_APPEND_MODE: also when aggregated in complete mode', () => {
    expectRule('STREAM_JOIN_NOT_IN_APPEND_MODE', () =>
      write(
        clicks()
          .join(impressions(), { on: ['ad'] })
          .groupBy('ad')
          .count(),
        'complete',
      ).build(),
    );
  });

  it('SESSION_WINDOW_IN_UPDATE_MODE', () => {
    expectRule(
      'SESSION_WINDOW_IN_UPDATE_MODE',
      () =>
        write(
          watermarkedClicks().groupBy('user', sessionWindow('ts', '5 minutes')).count(),
          'update',
        ).build(),
      "groupBy('user', sessionWindow('ts', '5 minutes'))",
      "outputMode('append')",
    );
  });
});

describe('watermark requirements', () => {
  const withTimeout = (stream: DataStream<Click>) =>
    stream
      .groupByKey((c) => c.user)
      .flatMapGroupsWithState('append', perUserFlat, { timeout: GroupStateTimeout.EventTimeTimeout });

  it('EVENT_TIME_TIMEOUT_WITHOUT_WATERMARK', () => {
    expectRule(
      'EVENT_TIME_TIMEOUT_WITHOUT_WATERMARK',
      () => write(withTimeout(clicks()), 'append').build(),
      'EventTimeTimeout',
      "Add withWatermark('<time column>', '<delay>') before groupByKey",
    );
    expect(() => write(withTimeout(watermarkedClicks()), 'append').build()).not.toThrow();
  });

  it('DEDUP_WITHIN_WATERMARK_WITHOUT_WATERMARK', () => {
    expectRule(
      'DEDUP_WITHIN_WATERMARK_WITHOUT_WATERMARK',
      () => write(clicks().dropDuplicatesWithinWatermark(['user']), 'append').build(),
      'Add withWatermark(',
      'or use dropDuplicates',
    );
  });

  it('WATERMARK_NOT_ON_EVENT_TIME', () => {
    const declared = () => readStream<Click>('clicks', { eventTime: 'ts' });
    expectRule(
      'WATERMARK_NOT_ON_EVENT_TIME',
      () =>
        write(
          declared()
            .filter((c) => c.price > 0)
            .withWatermark('arrival', '1 minute'),
          'append',
        ).build(),
      "withWatermark('arrival', ...) on source 'clicks', which declares its event time as 'ts'",
      "Use withWatermark('ts', ...)",
    );
    // The declared column itself, and a column derived by a map, are fine.
    expect(() => write(declared().withWatermark('ts', '1 minute'), 'append').build()).not.toThrow();
    expect(() =>
      write(
        declared()
          .map((c) => ({ ...c, at: c.arrival }))
          .withWatermark('at', '1 minute'),
        'append',
      ).build(),
    ).not.toThrow();
  });
});

describe('join rules', () => {
  const outerJoin = (
    left: DataStream<Impression>,
    right: DataStream<Click>,
    timeRange?: { leftColumn: string; rightColumn: string; min: number | string; max: number | string },
  ) => left.join(right, { on: ['ad'], how: 'left_outer', ...(timeRange === undefined ? {} : { timeRange }) });
  const range = { leftColumn: 'shownAt', rightColumn: 'ts', min: 0, max: '1 hour' };

  it('UNSUPPORTED_JOIN_TYPE', () => {
    const cross = 'cross' as unknown as JoinType;
    expectRule(
      'UNSUPPORTED_JOIN_TYPE',
      () => write(clicks().join(impressions(), { on: ['ad'], how: cross }), 'append').build(),
      'how: "cross"',
      "'inner', 'left_outer', 'right_outer', 'full_outer', 'left_semi', 'left_anti'",
    );
    expectRule('UNSUPPORTED_JOIN_TYPE', () =>
      write(clicks().join(staticRows([{ ad: 'a' }]), { on: ['ad'], how: cross }), 'append').build(),
    );
    // Spark: "LeftAnti joins with a streaming DataFrame/Dataset on the right are not supported".
    expectRule(
      'UNSUPPORTED_JOIN_TYPE',
      () => write(clicks().join(impressions(), { on: ['ad'], how: 'left_anti' }), 'append').build(),
      'left-anti-joins two streams',
    );
  });

  it('STREAM_STATIC_JOIN_PRESERVES_STATIC_SIDE', () => {
    expectRule(
      'STREAM_STATIC_JOIN_PRESERVES_STATIC_SIDE',
      () =>
        write(
          clicks().join(staticRows([{ ad: 'a', campaign: 'c' }]), { on: ['ad'], how: 'right_outer' }),
          'append',
        ).build(),
      "Use how: 'left_outer'",
    );
  });

  it('STREAM_JOIN_WITHOUT_KEYS', () => {
    expectRule(
      'STREAM_JOIN_WITHOUT_KEYS',
      () => write(clicks().join(impressions(), { on: [] }), 'append').build(),
      'joins streams (clicks) and (impressions)',
      "join(other, { on: ['adId'] })",
    );
  });

  it('EMPTY_JOIN_TIME_RANGE', () => {
    expectRule(
      'EMPTY_JOIN_TIME_RANGE',
      () =>
        write(
          watermarkedImpressions().join(watermarkedClicks(), {
            on: ['ad'],
            timeRange: { leftColumn: 'shownAt', rightColumn: 'ts', min: '1 hour', max: 0 },
          }),
          'append',
        ).build(),
      'min (3600000 ms) is greater than its max (0 ms)',
      'Swap min and max',
    );
  });

  it('OUTER_STREAM_JOIN_WITHOUT_WATERMARK: a side without a watermark', () => {
    expectRule(
      'OUTER_STREAM_JOIN_WITHOUT_WATERMARK',
      () => write(outerJoin(watermarkedImpressions(), clicks(), range), 'append').build(),
      "the right side's time-range column 'ts' (clicks) has no watermark",
      "Call withWatermark('ts', '<delay>') on the right stream",
    );
    expectRule(
      'OUTER_STREAM_JOIN_WITHOUT_WATERMARK',
      () => write(outerJoin(impressions(), watermarkedClicks()), 'append').build(),
      'its left side (impressions) has no watermark',
    );
  });

  it('OUTER_STREAM_JOIN_WITHOUT_WATERMARK: the time range over a column that is not the watermarked one', () => {
    expectRule(
      'OUTER_STREAM_JOIN_WITHOUT_WATERMARK',
      () =>
        write(
          outerJoin(watermarkedImpressions(), watermarkedClicks(), { ...range, rightColumn: 'arrival' }),
          'append',
        ).build(),
      "time-range column 'arrival'",
    );
  });

  it('OUTER_STREAM_JOIN_WITHOUT_TIME_RANGE', () => {
    expectRule(
      'OUTER_STREAM_JOIN_WITHOUT_TIME_RANGE',
      () => write(outerJoin(watermarkedImpressions(), watermarkedClicks()), 'append').build(),
      'without a time range',
      'Add timeRange: { leftColumn, rightColumn, min, max }',
    );
  });

  it('an inner stream-stream join needs neither watermarks nor a time range (state is kept)', () => {
    expect(() => write(impressions().join(clicks(), { on: ['ad'] }), 'append').build()).not.toThrow();
  });
});

describe('chaining stateful operators', () => {
  it('STATEFUL_OPERATOR_AFTER_STREAM_JOIN', () => {
    expectRule(
      'STATEFUL_OPERATOR_AFTER_STREAM_JOIN',
      () =>
        write(
          watermarkedImpressions()
            .join(watermarkedClicks(), { on: ['ad'] })
            .groupBy(window('ts', '1 minute'))
            .count(),
          'append',
        ).build(),
      "groupBy(window('ts', '1 minute')).agg(...) on the output of a stream-stream join",
      'Write the join',
    );
    expectRule('STATEFUL_OPERATOR_AFTER_STREAM_JOIN', () =>
      write(
        impressions()
          .join(clicks(), { on: ['ad'] })
          .dropDuplicates(['user']),
        'append',
      ).build(),
    );
  });

  it('STATEFUL_OPERATOR_AFTER_EVENT_TIME_TIMEOUT', () => {
    expectRule(
      'STATEFUL_OPERATOR_AFTER_EVENT_TIME_TIMEOUT',
      () =>
        write(
          watermarkedClicks()
            .groupByKey((c) => c.user)
            .flatMapGroupsWithState('append', perUserFlat, { timeout: GroupStateTimeout.EventTimeTimeout })
            .dropDuplicates(['user']),
          'append',
        ).build(),
      "dropDuplicates(['user']) on the output of flatMapGroupsWithState('append') with an event-time timeout",
      'ProcessingTimeTimeout',
    );
  });

  it('AGGREGATION_AFTER_GROUPS_WITH_STATE_IN_UPDATE_MODE', () => {
    expectRule(
      'AGGREGATION_AFTER_GROUPS_WITH_STATE_IN_UPDATE_MODE',
      () =>
        write(
          clicks()
            .groupByKey((c) => c.user)
            .mapGroupsWithState(perUser)
            .groupBy('clicks')
            .count(),
          'update',
        ).build(),
      "aggregates (groupBy('clicks').agg(...)) the output of mapGroupsWithState",
      "flatMapGroupsWithState('append', ...)",
    );
    // flatMapGroupsWithState('update') with any aggregation is Spark's mode rule.
    expectRule(
      'FLAT_MAP_GROUPS_WITH_STATE_MODE_MISMATCH',
      () =>
        write(
          clicks()
            .groupByKey((c) => c.user)
            .flatMapGroupsWithState('update', perUserFlat)
            .groupBy('user')
            .count(),
          'update',
        ).build(),
      'in a query with an aggregation',
    );
  });

  it('CHAINED_STATEFUL_OPERATORS_NOT_IN_APPEND_MODE', () => {
    expectRule(
      'CHAINED_STATEFUL_OPERATORS_NOT_IN_APPEND_MODE',
      () => write(clicks().groupBy('user').count().dropDuplicates(['count']), 'complete', 'top').build(),
      "Query 'top' runs dropDuplicates(['count']) on the output of groupBy('user').agg(...) in complete mode",
      "outputMode('append')",
    );
    expectRule('CHAINED_STATEFUL_OPERATORS_NOT_IN_APPEND_MODE', () =>
      write(clicks().groupBy('user').count().groupBy('count').count(), 'update').build(),
    );
  });

  it('allows chains in append mode when every upstream row is final (Spark 3.4+ MultiStatefulOperatorsSuite)', () => {
    const appendState = watermarkedClicks()
      .groupByKey((c) => c.user)
      .flatMapGroupsWithState('append', perUserFlat);
    expect(() => write(appendState.dropDuplicates(['user']), 'append').build()).not.toThrow();
    expect(() =>
      write(
        watermarkedClicks().dropDuplicates(['user', 'ts']).groupBy(window('ts', '1 minute')).count(),
        'append',
      ).build(),
    ).not.toThrow();
    expect(() =>
      write(
        watermarkedClicks()
          .dropDuplicatesWithinWatermark(['user'])
          .join(watermarkedImpressions(), { on: ['ad'] }),
        'append',
      ).build(),
    ).not.toThrow();
  });
});

describe('grouping, naming and sink rules', () => {
  it('MULTIPLE_TIME_WINDOWS_IN_GROUP_BY', () => {
    expectRule(
      'MULTIPLE_TIME_WINDOWS_IN_GROUP_BY',
      () =>
        write(
          watermarkedClicks().groupBy(window('ts', '1 minute'), sessionWindow('ts', '5 minutes')).count(),
          'append',
        ).build(),
      "(window('ts', '1 minute'), sessionWindow('ts', '5 minutes'))",
      'Group by a single window(...) or sessionWindow(...)',
    );
  });

  it('keeps rejecting invalid window arguments in the API (windows.ts)', () => {
    expect(() => window('ts', 0)).toThrow(InvalidQueryError);
    expect(() => window('ts', '1 minute', '2 minutes')).toThrow(/slide ≤ duration/);
    expect(() => sessionWindow('ts', 0)).toThrow(/gap > 0/);
  });

  it('INVALID_QUERY_NAME', () => {
    const named = (name: string) => () => write(clicks(), 'append', name).build();
    expectRule(
      'INVALID_QUERY_NAME',
      named(''),
      'Query "" has a name that is empty',
      "queryName('page-views')",
    );
    expectRule('INVALID_QUERY_NAME', named('clicks#v2'), "contains '#'", 'DynamoDB keys');
    expectRule('INVALID_QUERY_NAME', named('team/clicks'), "contains '/'", 'S3 prefix');
    expectRule('INVALID_QUERY_NAME', named('page views'), 'contains whitespace');
    expectRule('INVALID_QUERY_NAME', named('-clicks'), "starts with '-'");
    expectRule('INVALID_QUERY_NAME', named('x'.repeat(129)), 'is 129 characters long');
    for (const name of ['page-views', 'Clicks.v2_eu', 'x'.repeat(128)]) expect(named(name)).not.toThrow();
  });

  it('INVALID_PARTITION_COLUMN', () => {
    const partitioned =
      (...columns: string[]) =>
      () =>
        clicks()
          .writeStream.queryName('files')
          .format('json')
          .partitionBy(...columns)
          .build();
    expectRule(
      'INVALID_PARTITION_COLUMN',
      partitioned('day/hour'),
      '"day/hour", which cannot be written as a column=value/',
    );
    expectRule('INVALID_PARTITION_COLUMN', partitioned('user', 'user'), '"user", which is named twice');
    expect(partitioned('user', 'ad')).not.toThrow();
  });
});

describe('the partitioning contract', () => {
  interface View {
    page: string;
    user: string;
    ts: number;
  }
  const views = () =>
    readStream<View>('views', { eventTime: 'ts', partitionKey: 'page' }).withWatermark('ts', '1 minute');

  it('GROUPING_IGNORES_PARTITION_KEY: a stateful operator must group by the declared partition key, unless an exchange is planned', () => {
    expectRule(
      'GROUPING_IGNORES_PARTITION_KEY',
      () =>
        write(views().groupBy(window('ts', '1 minute')).count(), 'append', 'per-minute')
          .exchanges('off')
          .build(),
      "does not group by 'page'",
      "groupBy(window(...), 'page')",
      "exchanges('auto')",
    );
    expectRule(
      'GROUPING_IGNORES_PARTITION_KEY',
      () =>
        write(views().dropDuplicates(['user', 'ts']), 'append', 'dedup')
          .exchanges('off')
          .build(),
      'deduplication',
    );
    // Sources of two Kinesis streams never share shards, even when both are keyed by the group key.
    const onStream = (stream: string) =>
      readStream<View>(`views-${stream}`, { eventTime: 'ts', partitionKey: 'page', stream }).withWatermark(
        'ts',
        '1 minute',
      );
    expectRule(
      'GROUPING_IGNORES_PARTITION_KEY',
      () =>
        write(onStream('a').union(onStream('b')).groupBy('page').count(), 'update', 'two-streams')
          .exchanges('off')
          .build(),
      "two Kinesis streams ('a' and 'b')",
      "exchanges('auto')",
    );
    expect(() =>
      write(onStream('a').union(onStream('b')).groupBy('page').count(), 'update').build(),
    ).not.toThrow();
    // With exchanges allowed (the default) the same queries get an exchange instead.
    expect(() => write(views().groupBy(window('ts', '1 minute')).count(), 'append').build()).not.toThrow();
    expect(() => write(views().dropDuplicates(['user', 'ts']), 'append').build()).not.toThrow();
    // A shape the exchange does not cover yet stays an error, saying why.
    expectRule(
      'GROUPING_IGNORES_PARTITION_KEY',
      () =>
        write(
          views().dropDuplicates(['page', 'ts']).groupBy(window('ts', '1 minute')).count(),
          'append',
        ).build(),
      'only the first stateful operator of a query can follow an exchange',
    );
    // Joins and unions of inputs keyed differently get an exchange on each input.
    const clicksByUser = () =>
      readStream<View>('clicks', { eventTime: 'ts', partitionKey: 'user' }).withWatermark('ts', '1 minute');
    expect(() =>
      write(
        views()
          .alias('v')
          .join(
            clicksByUser().alias('c'),
            expr('v.page = c.page AND c.ts BETWEEN v.ts AND v.ts + INTERVAL 1 MINUTE'),
          ),
        'append',
      ).build(),
    ).not.toThrow();
    expect(() =>
      write(
        views().union(clicksByUser()).groupBy(window('ts', '1 minute'), 'user').count(),
        'append',
      ).build(),
    ).not.toThrow();
    // A stateful operator after the exchanged one that would need a second exchange: named.
    expectRule(
      'GROUPING_IGNORES_PARTITION_KEY',
      () =>
        write(
          views()
            .union(clicksByUser())
            .dropDuplicates(['user', 'ts'])
            .groupBy(window('ts', '1 minute'), 'page')
            .count(),
          'append',
        ).build(),
      'a second exchange is not built',
      '[user, ts]',
    );
    // With exchanges off the join is rejected, as before.
    expectRule(
      'GROUPING_IGNORES_PARTITION_KEY',
      () =>
        write(
          views()
            .alias('v')
            .join(
              clicksByUser().alias('c'),
              expr('v.page = c.page AND c.ts BETWEEN v.ts AND v.ts + INTERVAL 1 MINUTE'),
            ),
          'append',
        )
          .exchanges('off')
          .build(),
      "exchanges('auto')",
    );
    expect(() =>
      write(views().groupBy(window('ts', '1 minute'), 'page').count(), 'append').build(),
    ).not.toThrow();
    expect(() => write(views().dropDuplicates(['page', 'ts']), 'append').build()).not.toThrow();
    expect(() => write(views().dropDuplicates(), 'append').build()).not.toThrow();
    // Without a declared partition key there is nothing to check.
    expect(() =>
      write(
        readStream<View>('views').withWatermark('ts', '1 minute').groupBy(window('ts', '1 minute')).count(),
        'append',
      ).build(),
    ).not.toThrow();
  });
});

describe("Spark's UnsupportedOperationsSuite decision table for state functions and chains", () => {
  const flatAppend = () =>
    clicks()
      .groupByKey((c) => c.user)
      .flatMapGroupsWithState('append', perUserFlat);
  const flatUpdate = () =>
    clicks()
      .groupByKey((c) => c.user)
      .flatMapGroupsWithState('update', perUserFlat);
  const mapState = () =>
    clicks()
      .groupByKey((c) => c.user)
      .mapGroupsWithState(perUser);
  type Mode = 'append' | 'update' | 'complete';
  const cases: ReadonlyArray<{ name: string; build: () => DataStream<any>; mode: Mode; rule?: string }> = [
    // flatMapGroupsWithState(Append) before an aggregation: supported in every mode.
    {
      name: 'fMGWS(append) → aggregation, complete',
      build: () => flatAppend().groupBy('user').count(),
      mode: 'complete',
    },
    {
      name: 'fMGWS(append) → aggregation, update',
      build: () => flatAppend().groupBy('user').count(),
      mode: 'update',
    },
    // without aggregation the modes must match
    {
      name: 'fMGWS(append), update',
      build: flatAppend,
      mode: 'update',
      rule: 'FLAT_MAP_GROUPS_WITH_STATE_MODE_MISMATCH',
    },
    {
      name: 'fMGWS(update), append',
      build: flatUpdate,
      mode: 'append',
      rule: 'FLAT_MAP_GROUPS_WITH_STATE_MODE_MISMATCH',
    },
    { name: 'fMGWS(update), update', build: flatUpdate, mode: 'update' },
    // fMGWS(update) with an aggregation, in any mode
    {
      name: 'aggregation → fMGWS(update), complete',
      build: () =>
        clicks()
          .groupBy('user')
          .count()
          .groupByKey((r) => r.user)
          .flatMapGroupsWithState('update', (user: string) => [{ user }]),
      mode: 'complete',
      rule: 'FLAT_MAP_GROUPS_WITH_STATE_MODE_MISMATCH',
    },
    // mapGroupsWithState: update mode only, never with an aggregation, one per query
    {
      name: 'mGWS, append',
      build: mapState,
      mode: 'append',
      rule: 'MAP_GROUPS_WITH_STATE_NOT_IN_UPDATE_MODE',
    },
    {
      name: 'mGWS → aggregation, update',
      build: () => mapState().groupBy('clicks').count(),
      mode: 'update',
      rule: 'AGGREGATION_AFTER_GROUPS_WITH_STATE_IN_UPDATE_MODE',
    },
    {
      name: 'two mGWS, update',
      build: () =>
        mapState()
          .groupByKey((r) => r.user)
          .mapGroupsWithState((user: string) => ({ user })),
      mode: 'update',
      rule: 'UNSUPPORTED_STATE_FUNCTION_COMBINATION',
    },
    {
      name: 'fMGWS(update) → mGWS, update',
      build: () =>
        flatUpdate()
          .groupByKey((r) => r.user)
          .mapGroupsWithState((user: string) => ({ user })),
      mode: 'update',
      rule: 'UNSUPPORTED_STATE_FUNCTION_COMBINATION',
    },
    // several fMGWS only all in append, in append mode
    {
      name: 'fMGWS(append) → fMGWS(append), append',
      build: () =>
        flatAppend()
          .groupByKey((r) => r.user)
          .flatMapGroupsWithState('append', (user: string) => [{ user }]),
      mode: 'append',
    },
    {
      name: 'fMGWS(update) → fMGWS(update), update',
      build: () =>
        flatUpdate()
          .groupByKey((r) => r.user)
          .flatMapGroupsWithState('update', (user: string) => [{ user }]),
      mode: 'update',
      rule: 'UNSUPPORTED_STATE_FUNCTION_COMBINATION',
    },
    // a state function or dedup upstream of another stateful operator: any mode (not an aggregation)
    {
      name: 'fMGWS(update) → dropDuplicates, update',
      build: () => flatUpdate().dropDuplicates(['user']),
      mode: 'update',
    },
    {
      name: 'mGWS → dropDuplicates, update',
      build: () => mapState().dropDuplicates(['user']),
      mode: 'update',
    },
    {
      name: 'dropDuplicates → aggregation, complete',
      build: () => clicks().dropDuplicates(['user']).groupBy('user').count(),
      mode: 'complete',
    },
    // an aggregation upstream outside append mode
    {
      name: 'aggregation → dropDuplicates, complete',
      build: () => clicks().groupBy('user').count().dropDuplicates(['count']),
      mode: 'complete',
      rule: 'CHAINED_STATEFUL_OPERATORS_NOT_IN_APPEND_MODE',
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.rule ?? 'supported'}`, () => {
      const build = () => write(c.build(), c.mode).build();
      if (c.rule === undefined) expect(build).not.toThrow();
      else expectRule(c.rule, build);
    });
  }
});

describe('sort and limit (Spark: sort only on an aggregation in complete mode; no limit in update mode)', () => {
  const perPage = () => clicks().groupBy('user').count();
  it('SORT_NOT_ON_COMPLETE_AGGREGATION', () => {
    expectRule(
      'SORT_NOT_ON_COMPLETE_AGGREGATION',
      () => write(clicks().orderBy('price'), 'append', 'sorted').build(),
      "Query 'sorted' sorts a stream in append mode without an aggregation",
    );
    expectRule('SORT_NOT_ON_COMPLETE_AGGREGATION', () =>
      write(perPage().orderBy(col('count').desc()), 'update').build(),
    );
    // Sorting below the aggregation is never on complete data.
    expectRule('SORT_NOT_ON_COMPLETE_AGGREGATION', () =>
      write(clicks().orderBy('price').groupBy('user').count(), 'complete').build(),
    );
    expect(() => write(perPage().orderBy(col('count').desc()).limit(3), 'complete').build()).not.toThrow();
  });

  it('LIMIT_NOT_IN_COMPLETE_MODE', () => {
    expectRule(
      'LIMIT_NOT_IN_COMPLETE_MODE',
      () => write(perPage().limit(3), 'update', 'top').build(),
      "Query 'top' uses limit(3) in update mode",
    );
    expectRule('LIMIT_NOT_IN_COMPLETE_MODE', () => write(clicks().limit(3), 'append').build(), 'per shard');
    expect(() => write(perPage().limit(3), 'complete').build()).not.toThrow();
  });
});

describe('the rule registry', () => {
  it('names every rule once, in UPPER_SNAKE case, and has at least 14 rules', () => {
    const names = RULES.map((rule) => rule.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/);
    expect(names.length).toBeGreaterThanOrEqual(14);
  });

  // Runs last (tests run in file order): every registered rule was produced by a test above,
  // under the name the registry gives it.
  it('has a test above for every registered rule', () => {
    expect([...producedRules].sort()).toEqual(RULES.map((rule) => rule.name).sort());
  });
});
