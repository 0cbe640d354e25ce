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
