import { Match, type Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { count, max, readStream, window } from '../../engine/index.js';
import { pageViewsQuery } from '../../functions/queries/page-views.js';
import { sessionsQuery } from '../../functions/queries/sessions.js';
import { StreamingQueryPropsError } from '../../infra/streaming-query.js';
import { FIXTURE_ENTRY, pageViews, templateOf } from './synth.js';

// The Glue table's columns come from the query's output schema (inferred through the plan); a
// hand-written list is checked against it at synth time.

const tableInput = (template: Template) => {
  const tables = Object.values(template.findResources('AWS::Glue::Table'));
  expect(tables).toHaveLength(1);
  return tables[0]!.Properties.TableInput as {
    PartitionKeys: { Name: string; Type: string }[];
    StorageDescriptor: { Columns: { Name: string; Type: string; Comment?: string }[]; SerdeInfo: unknown };
  };
};

const orderSchema = z.object({
  orderId: z.string(),
  country: z.string(),
  amount: z.number(),
  items: z.number().int(),
  ts: z.number(),
});
/** Revenue per country and minute, JSON Lines partitioned by country. */
const revenueQuery = readStream('orders', { eventTime: 'ts', schema: orderSchema, partitionKey: 'country' })
  .withWatermark('ts', '1 minute')
  .groupBy(window('ts', '1 minute'), 'country')
  .agg({ orders: count(), biggest: max('amount') })
  .writeStream.queryName('revenue')
  .outputMode('append')
  .format('json')
  .partitionBy('country')
  .build();

describe('StreamingQuery Glue table from the query', () => {
  it('infers the columns of the page-views query: window struct, page string, views bigint', () => {
    const table = tableInput(
      templateOf((stack) => pageViews(stack, { query: pageViewsQuery, glue: { database: 'analytics' } })),
    );
    expect(table.StorageDescriptor.Columns).toEqual([
      { Name: 'window', Type: 'struct<start:timestamp,end:timestamp>' },
      { Name: 'page', Type: 'string' },
      { Name: 'views', Type: 'bigint' },
    ]);
    expect(table.PartitionKeys).toEqual([]);
  });

  it("takes the format and the partition keys from the query's sink", () => {
    const template = templateOf((stack) =>
      pageViews(stack, {
        queryName: 'revenue',
        entry: FIXTURE_ENTRY,
        query: revenueQuery,
        glue: { database: 'analytics' },
      }),
    );
    const table = tableInput(template);
    expect(table.StorageDescriptor.Columns).toEqual([
      { Name: 'window', Type: 'struct<start:timestamp,end:timestamp>' },
      { Name: 'orders', Type: 'bigint' },
      { Name: 'biggest', Type: 'double' },
    ]);
    expect(table.PartitionKeys).toEqual([{ Name: 'country', Type: 'string' }]);
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        StorageDescriptor: Match.objectLike({
          SerdeInfo: { SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' },
        }),
      }),
    });
  });

  it('accepts a hand-written list that matches (case and spaces aside) and keeps its comments', () => {
    const table = tableInput(
      templateOf((stack) =>
        pageViews(stack, {
          query: pageViewsQuery,
          glue: {
            database: 'analytics',
            columns: [
              { name: 'page', type: 'STRING', comment: 'the URL path' },
              { name: 'window', type: 'struct<start: timestamp, end: timestamp>' },
              { name: 'views', type: 'bigint' },
            ],
          },
        }),
      ),
    );
    expect(table.StorageDescriptor.Columns).toEqual([
      { Name: 'window', Type: 'struct<start:timestamp,end:timestamp>' },
      { Name: 'page', Type: 'string', Comment: 'the URL path' },
      { Name: 'views', Type: 'bigint' },
    ]);
  });

  const refusal = (glue: object, query = pageViewsQuery) => {
    try {
      templateOf((stack) => pageViews(stack, { query, glue: { database: 'analytics', ...glue } }));
    } catch (error) {
      expect(error).toBeInstanceOf(StreamingQueryPropsError);
      return error as StreamingQueryPropsError;
    }
    throw new Error('expected synth to fail');
  };

  it('refuses a hand-written type that disagrees, naming the column and both types', () => {
    const error = refusal({
      columns: [
        { name: 'window', type: 'struct<start:timestamp,end:timestamp>' },
        { name: 'page', type: 'string' },
        { name: 'views', type: 'int' },
      ],
    });
    expect(error.prop).toBe('glue.columns');
    expect(error.message).toContain(
      "column 'views' is declared int, but query 'page-views' writes bigint there",
    );
  });

  it('refuses a hand-written list with a column the query does not write, or missing one it does', () => {
    const extra = refusal({
      columns: [
        { name: 'window', type: 'struct<start:timestamp,end:timestamp>' },
        { name: 'page', type: 'string' },
        { name: 'views', type: 'bigint' },
        { name: 'country', type: 'string' },
      ],
    });
    expect(extra.message).toContain("column 'country' is not in the output of query 'page-views'");
    const missing = refusal({ columns: [{ name: 'page', type: 'string' }] });
    expect(missing.message).toContain(
      "lacks 'window' (struct<start:timestamp,end:timestamp>), 'views' (bigint)",
    );
  });

  it('refuses a format other than the sink writes, and a query under another name', () => {
    expect(refusal({ format: 'jsonl' }).prop).toBe('glue.format');
    try {
      templateOf((stack) => pageViews(stack, { query: sessionsQuery }));
      expect.unreachable();
    } catch (error) {
      expect((error as StreamingQueryPropsError).prop).toBe('query');
    }
  });

  it('a plan whose types cannot be inferred needs the hand-written list, which it then takes as given', () => {
    // sessions: flatMapGroupsWithState without a declared schema, JSON Lines.
    const sessions = (glue: object) =>
      templateOf((stack) =>
        pageViews(stack, {
          queryName: 'sessions',
          entry: FIXTURE_ENTRY,
          query: sessionsQuery,
          glue: { database: 'analytics', format: 'jsonl', ...glue },
        }),
      );
    let error: unknown;
    try {
      sessions({});
    } catch (caught) {
      error = caught;
    }
    expect((error as Error).message).toContain(
      "glue.columns: cannot infer the columns of query 'sessions': flatMapGroupsWithState(fn) returns rows the plan cannot see into",
    );
    const table = tableInput(sessions({ columns: [{ name: 'user', type: 'string' }] }));
    expect(table.StorageDescriptor.Columns).toEqual([{ Name: 'user', Type: 'string' }]);
  });

  it('without the query, the list is required', () => {
    expect(() => templateOf((stack) => pageViews(stack, { glue: { database: 'analytics' } }))).toThrow(
      /glue\.columns: list the output columns, or pass the query/,
    );
  });
});
