import type { QueryDefinition } from '../../api/writer.js';
import { ExchangeWriter } from '../../exchange/exchange-writer.js';
import { explain } from '../../plan/exchange/explain.js';
import type { StagedQuery } from '../../plan/exchange/plan-stages.js';
import type { Sink } from '../../sinks/sink.js';
import { KinesisExchange } from '../exchange/kinesis-exchange.js';
import { streamNameOf } from '../kinesis/index.js';
import { ExchangeDeadLetterSink } from '../s3/exchange-dead-letters.js';
import { ExchangeNotDeployableError } from './errors.js';
import { exchangeShardHandler } from './exchange-shard-handler.js';
import { reportExchangeTrim } from './invocation-metrics.js';
import type { KinesisHandler, KinesisHandlerOptions } from './kinesis-handler.js';

/** Builds the handler of a stage that reads a source stream (kinesis-handler's, passed in). */
export type ShardHandlerFactory = (
  query: QueryDefinition,
  options: KinesisHandlerOptions,
  sinkOf?: (shardId: string) => Sink,
) => KinesisHandler;

/**
 * The Lambda handler of a query that runs as two stages around an exchange (docs/architecture.md,
 * "Stages and the exchange"). One handler serves both functions the construct deploys, told apart
 * by the stream an event comes from:
 * ```
 * event from the source stream   → stage 1 for its shard: stateless steps, partial aggregate,
 *                                  ExchangeWriter into the internal stream, then commit
 * event from the internal stream → stage 2 for its internal shard (exchangeShardHandler)
 * ```
 * Rows reach the internal shard holding their bucket's hash key, so the internal stream can be
 * split or merged while the query runs: stage 1's markers follow the open shards, and a child
 * shard's stage 2 adopts what its parents left (docs/architecture.md, "Resharding the internal stream").
 */
export function twoStageHandler(
  staged: StagedQuery,
  options: KinesisHandlerOptions,
  shardHandler: ShardHandlerFactory,
): KinesisHandler {
  const spec = staged.exchange!;
  if (staged.exchanges.length > 1) {
    // Joins and unions through the exchange run in the test kit; the Lambda handler learns them next.
    throw new ExchangeNotDeployableError(staged.query.name, explain(staged.query));
  }
  const stream = options.exchangeStream;
  if (stream === undefined) throw new ExchangeNotDeployableError(staged.query.name, explain(staged.query));
  // One per container: it keeps the internal stream's open shards (for markers) between invocations.
  const transport = new KinesisExchange({
    client: options.clients.kinesis,
    stream,
    onTrimmed: (read) => reportExchangeTrim({ query: staged.query.name, ...read }, false, options),
  });
  const ready = async (): Promise<KinesisExchange> => transport;
  const stageOne = staged.stages[0]!.query;
  // Stage 1's dead letters go under its own root (PREFIX/<query>.stage-1/): the exchange keeps none.
  const stage1 = shardHandler(
    stageOne,
    options,
    (shardId) =>
      new ExchangeDeadLetterSink({
        inner: new ExchangeWriter({ spec, transport, origin: shardId }),
        client: options.clients.s3,
        bucket: options.bucket,
        prefix: options.prefix,
        query: stageOne.name,
        shard: shardId,
        outputMode: stageOne.outputMode,
      }),
  );
  const stage2 = exchangeShardHandler(staged, options, ready);
  const internal = streamNameOf(stream);
  return async (event, context) => {
    const first = event.Records[0];
    if (first === undefined) return { batchItemFailures: [] };
    if (streamNameOf(first.eventSourceARN) === internal) return stage2(event, context);
    return stage1(event, context);
  };
}
