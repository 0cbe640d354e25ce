import { z } from 'zod';
import type { ForeachBatchContext } from '../../engine/index.js';
import { readStream } from '../../engine/index.js';

/** An order event; producers may send the same order more than once (retries). */
export const orderSchema = z.object({
  orderId: z.string().min(1),
  customer: z.string().min(1),
  amount: z.number().nonnegative(),
  ts: z.number(),
});
export type Order = z.infer<typeof orderSchema>;

/** What `foreachBatch` can use to write: provided by the runtime (S3 on Lambda). */
interface ObjectWriter {
  putObject(relativeKey: string, body: string): Promise<void>;
}

/**
 * Writes a batch of first-seen orders to one object named by the batch id: a replay of the batch
 * rewrites the same key with the same bytes, so the write is idempotent.
 */
export async function writeOrders(
  rows: readonly Order[],
  batchId: number,
  ctx: ForeachBatchContext,
): Promise<void> {
  const writer = ctx.services.s3 as ObjectWriter | undefined;
  if (writer === undefined || rows.length === 0) return;
  const body = rows.map((row) => JSON.stringify(row)).join('\n');
  await writer.putObject(
    `orders/batch-${String(batchId).padStart(20, '0')}-${ctx.partition}.jsonl`,
    `${body}\n`,
  );
}

/** Orders with retried duplicates removed: the same `orderId` within the 1-hour watermark delay counts once. */
export const ordersQuery = readStream<Order>('orders', {
  eventTime: 'ts',
  schema: orderSchema,
  partitionKey: 'orderId',
})
  .withWatermark('ts', '1 hour')
  .dropDuplicatesWithinWatermark(['orderId'])
  .writeStream.queryName('orders')
  .outputMode('append')
  .foreachBatch(writeOrders)
  .build();
