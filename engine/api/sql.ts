import { defaultViews, type TempViews } from '../sql/catalog.js';
import { planSql } from '../sql/plan-query.js';
import type { Row } from '../types.js';
import { DataStream } from './data-stream.js';

/**
 * Runs Spark SQL over streams registered with `createOrReplaceTempView`, as `spark.sql(...)`:
 * the result is an ordinary {@link DataStream} (write it with `writeStream`), with the same plan
 * the DataFrame API builds, checked by the same checker.
 *
 * @example
 * events.withWatermark('ts', '10 minutes').createOrReplaceTempView('events');
 * sql("SELECT window(ts, '1 minute') AS window, page, count(*) AS views FROM events GROUP BY window(ts, '1 minute'), page")
 *   .writeStream.outputMode('append').build();
 */
export function sql(text: string, views: TempViews = defaultViews): DataStream<Row> {
  return new DataStream<Row>(planSql(text, views));
}
