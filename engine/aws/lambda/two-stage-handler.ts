import type { QueryDefinition } from '../../api/writer.js';
import { ExchangeWriter } from '../../exchange/exchange-writer.js';
import { explain } from '../../plan/exchange/explain.js';
import { exchangeOrigin, type StagedQuery, stageOnes } from '../../plan/exchange/plan-stages.js';
import type { Sink } from '../../sinks/sink.js';
import { KinesisExchange } from '../exchange/kinesis-exchange.js';
import { sourcesOf, streamNameOf } from '../kinesis/index.js';
import { ExchangeDeadLetterSink } from '../s3/exchange-dead-letters.js';
import { ExchangeNotDeployableError, SourceStreamsError } from './errors.js';
import { exchangeShardHandler } from './exchange-shard-handler.js';
import { reportExchangeTrim } from './invocation-metrics.js';
import type { KinesisHandler, KinesisHandlerOptions } from './kinesis-handler.js';

/** Builds the handler of a stage that reads a source stream (kinesis-handler's, passed in). */
export type ShardHandlerFactory = (
  query: QueryDefinition,
  options: KinesisHandlerOptions,
  sinkOf?: (shardId: string) => Sink,
  /** The query whose sources the record decoder knows (stage 1 of a join: the whole query's, so `route` works). */
  decodeAs?: QueryDefinition,
) => KinesisHandler;

/**
 * The Lambda handler of a query that runs as two stages around an exchange (docs/architecture.md,
 * "Stages and the exchange"). One handler serves every function the construct deploys, told apart
 * by the stream an event comes from:
 * ```
 * event from the internal stream → stage 2 for its internal shard (exchangeShardHandler)
 * event from a source stream     → each stage 1 reading a source of that stream, for its shard:
 *                                  stateless steps, partial aggregate, ExchangeWriter into the
 *                                  internal stream (origin: the shard, or <stage-1 name>/<shard>
 *                                  when the query has several stage 1s), then commit
 * ```
 * A join or union has one stage 1 per input. With `sources` (source → stream), an event runs the
 * stage 1s of the sources read from its stream; without it every source is on one stream (records
 * routed by `route`, as for any query) and an event runs every stage 1, each keeping its own
 * source's rows. Rows reach the internal shard holding their bucket's hash key, so the internal
 * stream can be split or merged while the query runs (docs/architecture.md, "Resharding the
 * internal stream").
 */
export function twoStageHandler(
  staged: StagedQuery,
  options: KinesisHandlerOptions,
  shardHandler: ShardHandlerFactory,
): KinesisHandler {
  const stream = options.exchangeStream;
  if (stream === undefined) throw new ExchangeNotDeployableError(staged.query.name, explain(staged.query));
  // One per container: it keeps the internal stream's open shards (for markers) between invocations.
  const transport = new KinesisExchange({
    client: options.clients.kinesis,
    stream,
    onTrimmed: (read) => reportExchangeTrim({ query: staged.query.name, ...read }, false, options),
  });
  const ready = async (): Promise<KinesisExchange> => transport;
  const ones = stageOnes(staged);
  const streamOf = sourceStreams(staged, options.sources);
  const stage1s = ones.map((stage) => {
    const streams = new Set((stage.sources ?? []).map((source) => streamOf(source)));
    return {
      streams,
      handler: shardHandler(
        stage.query,
        options,
        // Stage 1's dead letters go under its own root (PREFIX/<stage-1 name>/): the exchange keeps none.
        (shardId) =>
          new ExchangeDeadLetterSink({
            inner: new ExchangeWriter({
              spec: stage.exchange!,
              transport,
              origin: exchangeOrigin(staged, stage, shardId),
            }),
            client: options.clients.s3,
            bucket: options.bucket,
            prefix: options.prefix,
            query: stage.query.name,
            shard: shardId,
            outputMode: stage.query.outputMode,
          }),
        decodingQuery(staged, stage.query, (source) => streams.has(streamOf(source))),
      ),
    };
  });
  const stage2 = exchangeShardHandler(staged, options, ready);
  const internal = streamNameOf(stream);
  return async (event, context) => {
    const first = event.Records[0];
    if (first === undefined) return { batchItemFailures: [] };
    const from = streamNameOf(first.eventSourceARN);
    if (from === internal) return stage2(event, context);
    const mine = stage1s.filter((stage) => stage.streams.has(from) || stage.streams.has(''));
    if (mine.length === 0) {
      throw new SourceStreamsError(
        staged.query.name,
        `records came from stream '${from}', which none of its sources is read from`,
        sourceNames(staged),
      );
    }
    // Each stage 1 commits on its own checkpoint; Lambda redelivers from the earliest record any
    // of them has not committed, and the others skip what they already committed.
    const failures = new Map<string, number>();
    for (const stage of mine) {
      const result = await stage.handler(event, context);
      for (const failure of result.batchItemFailures) {
        const index = event.Records.findIndex((r) => r.kinesis.sequenceNumber === failure.itemIdentifier);
        failures.set(failure.itemIdentifier, index < 0 ? Number.MAX_SAFE_INTEGER : index);
      }
    }
    const earliest = [...failures].sort((a, b) => a[1] - b[1])[0];
    return { batchItemFailures: earliest === undefined ? [] : [{ itemIdentifier: earliest[0] }] };
  };
}

/**
 * The query whose sources a stage 1's record decoder knows: every source read from the same
 * stream(s) as the stage's own (records of the others on its stream are decoded, routed by
 * `route`, and ignored by its plan), or the stage's query when it is alone on its stream.
 */
function decodingQuery(
  staged: StagedQuery,
  stage: QueryDefinition,
  sameStream: (source: string) => boolean,
): QueryDefinition | undefined {
  const nodes = sourcesOf(staged.query).filter((node) => sameStream(node.name));
  if (nodes.length <= 1) return undefined;
  return { ...stage, plan: { kind: 'union', children: nodes } };
}

/** Every source the query reads, in plan order. */
function sourceNames(staged: StagedQuery): string[] {
  return [...new Set(stageOnes(staged).flatMap((stage) => stage.sources ?? []))];
}

/**
 * The stream (name) each source is read from: from `sources` when given (every source must be
 * there, and nothing else), else `''` for all (one stream, any event runs every stage 1).
 */
function sourceStreams(
  staged: StagedQuery,
  sources: Readonly<Record<string, string>> | undefined,
): (source: string) => string {
  const names = sourceNames(staged);
  if (sources === undefined) return () => '';
  const unknown = Object.keys(sources).filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw new SourceStreamsError(
      staged.query.name,
      `sources names ${unknown.map((n) => `'${n}'`).join(', ')}, which the query does not read (it reads ${names.map((n) => `'${n}'`).join(', ')})`,
      names,
    );
  }
  const missing = names.filter((name) => sources[name] === undefined || sources[name] === '');
  if (missing.length > 0) {
    throw new SourceStreamsError(
      staged.query.name,
      `sources has no stream for ${missing.map((n) => `'${n}'`).join(', ')}`,
      names,
    );
  }
  const streams = new Map(names.map((name) => [name, streamNameOf(sources[name]!)]));
  return (source) => streams.get(source)!;
}
