import type { QueryDefinition } from '../../api/writer.js';
import { ExchangeWriter } from '../../exchange/exchange-writer.js';
import { explain } from '../../plan/exchange/explain.js';
import type { StagedQuery } from '../../plan/exchange/plan-stages.js';
import type { Sink } from '../../sinks/sink.js';
import { KinesisExchange, listInternalShards } from '../exchange/kinesis-exchange.js';
import { streamNameOf } from '../kinesis/index.js';
import { ExchangeNotDeployableError } from './errors.js';
import { exchangeShardHandler } from './exchange-shard-handler.js';
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
 * The internal stream's open shards are listed once per container: they are the exchange's
 * partitions, so the internal stream must not be resharded while the query runs.
 */
export function twoStageHandler(
  staged: StagedQuery,
  options: KinesisHandlerOptions,
  shardHandler: ShardHandlerFactory,
): KinesisHandler {
  const spec = staged.exchange!;
  const stream = options.exchangeStream;
  if (stream === undefined) throw new ExchangeNotDeployableError(staged.query.name, explain(staged.query));
  let listing: Promise<KinesisExchange> | undefined;
  let transport: KinesisExchange | undefined;
  const ready = async (): Promise<KinesisExchange> => {
    listing ??= listInternalShards(options.clients.kinesis, stream).then(
      (shards) => new KinesisExchange({ client: options.clients.kinesis, stream, shards }),
    );
    try {
      transport = await listing;
    } catch (error) {
      listing = undefined; // list again on the next invocation
      throw error;
    }
    return transport;
  };
  const stage1 = shardHandler(
    staged.stages[0]!.query,
    options,
    (shardId) => new ExchangeWriter({ spec, transport: transport!, origin: shardId }),
  );
  const stage2 = exchangeShardHandler(staged, options, ready);
  const internal = streamNameOf(stream);
  return async (event, context) => {
    const first = event.Records[0];
    if (first === undefined) return { batchItemFailures: [] };
    if (streamNameOf(first.eventSourceARN) === internal) return stage2(event, context);
    await ready();
    return stage1(event, context);
  };
}
