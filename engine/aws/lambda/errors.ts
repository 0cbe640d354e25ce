import { SluiceError } from '../../errors.js';

/** A stateful query deployed on Kinesis without saying how producers partition its records. */
export class PartitioningNotDeclaredError extends SluiceError {
  constructor(query: string, sources: readonly string[]) {
    super(
      'SLUICE_PARTITIONING_NOT_DECLARED',
      `Query '${query}' keeps state but stream(s) ${sources.map((s) => `'${s}'`).join(', ')} declare no partition key: each group's records must reach one shard, and sluice cannot check that. Declare it with readStream(name, { partitionKey: '<column>' }) (the column producers use as Kinesis partition key), or pass { singleShard: true } to kinesisHandler if the stream has exactly one shard.`,
      { context: { query, sources } },
    );
  }
}

/** A query that needs an exchange (two stages) was deployed without an internal stream. */
export class ExchangeNotDeployableError extends SluiceError {
  constructor(query: string, plan: string) {
    super(
      'SLUICE_EXCHANGE_NOT_DEPLOYABLE',
      `Query '${query}' needs an exchange before a stateful operator (its keys do not follow the source's partition key), so it runs as two stages, which needs an internal Kinesis stream: set exchangeStream in the handler options (SLUICE_EXCHANGE_STREAM; the StreamingQuery construct creates the stream and sets it when given the query). Or group by the partition key, or have producers partition by the operator's key and declare it with readStream(..., { partitionKey }). The plan:\n${plan}`,
      { context: { query } },
    );
  }
}

/**
 * A query whose stage 1s read several source streams, deployed without saying which Kinesis
 * stream each source is, or with a mapping that does not fit the query.
 */
export class SourceStreamsError extends SluiceError {
  constructor(query: string, problem: string, sources: readonly string[]) {
    super(
      'SLUICE_SOURCE_STREAMS',
      `Query '${query}': ${problem}. Set the handler's sources option (SLUICE_SOURCE_STREAMS, e.g. ${sources.map((s) => `${s}=<stream name or ARN>`).join(',')}; the StreamingQuery construct sets it from its sourceStreams) so that each of the query's sources names the Kinesis stream it is read from.`,
      { context: { query, problem, sources } },
    );
  }
}
