import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KinesisStreamRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createRecordDecoder,
  createRefetch,
  KinesisBatchSource,
  shardIdOf,
  sourcesOf,
} from '../../../../engine/aws/kinesis/index.js';
import { RequestCounter } from '../../../../engine/aws/request-counter.js';
import {
  type BatchId,
  type BatchPhase,
  count,
  type DeadLetter,
  ManualClock,
  MemoryCheckpointStore,
  MemoryStateStore,
  type Row,
  readStream,
  type Sink,
  StreamExecution,
  window,
} from '../../../../engine/index.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';
import { kinesisEvent } from '../../../support/kinesis-events.js';
import {
  createOneShardStream,
  type PutEntry,
  putAll,
  readWholeShard,
} from '../../../support/kinesis-stream.js';

const query = readStream<{ page: string; ts: number }>('views', {
  eventTime: 'ts',
  schema: z.object({ page: z.string(), ts: z.number() }),
  partitionKey: 'page',
})
  .withWatermark('ts', '10 seconds')
  .groupBy(window('ts', '10 seconds'), 'page')
  .agg({ views: count() })
  .writeStream.queryName('views-per-page')
  .outputMode('update')
  .build();

/** Keeps each batch's rows and dead letters; a replay replaces its batch, as the S3 sink does. */
class RecordingSink implements Sink {
  readonly description = 'RecordingSink';
  readonly batches = new Map<BatchId, { rows: readonly Row[]; deadLetters: readonly DeadLetter[] }>();
  async addBatch(batchId: BatchId, rows: readonly Row[], context: { deadLetters: readonly DeadLetter[] }) {
    this.batches.set(batchId, structuredClone({ rows, deadLetters: context.deadLetters }));
  }
}

let aws: Emulators;
let kinesis: KinesisClient;
let event: KinesisStreamRecord[];

beforeAll(async () => {
  aws = await startEmulators();
  kinesis = aws.clients.kinesis;
  await createOneShardStream(kinesis, 'views');
  const entries: PutEntry[] = Array.from({ length: 60 }, (_, i) =>
    i % 13 === 6
      ? { data: '{oops', partitionKey: 'p0' }
      : { data: { page: `p${i % 4}`, ts: i * 700 }, partitionKey: i % 17 === 3 ? 'elsewhere' : `p${i % 4}` },
  );
  await putAll(kinesis, 'views', entries);
  event = kinesisEvent(await readWholeShard(kinesis, 'views', 'shardId-000000000000'), {
    streamName: 'views',
  }).Records;
});
afterAll(async () => {
  await aws?.stop();
});

/** One "invocation": an execution over the given records, on shared stores, optionally crashing once. */
async function invoke(
  stores: {
    checkpoints: MemoryCheckpointStore;
    state: MemoryStateStore;
    sink: RecordingSink;
    clock: ManualClock;
  },
  records: readonly KinesisStreamRecord[],
  crash?: { batchId: BatchId; phase: BatchPhase },
  counter?: RequestCounter,
) {
  const execution = new StreamExecution({
    query,
    source: new KinesisBatchSource({
      records,
      decode: createRecordDecoder({ sources: sourcesOf(query) }),
      refetch: createRefetch({
        client: kinesis,
        stream: event[0]!.eventSourceARN,
        shardId: shardIdOf(event[0]!),
        ...(counter === undefined ? {} : { requestCounter: counter }),
      }),
      maxRecordsPerBatch: 16,
    }),
    stateStore: stores.state,
    checkpoints: stores.checkpoints,
    sink: stores.sink,
    clock: stores.clock,
    partition: 'shardId-000000000000',
    hook: (phase, batch) => {
      if (crash !== undefined && phase === crash.phase && batch.batchId === crash.batchId)
        throw new Error(`crash in ${phase}`);
    },
  });
  return execution.processAllAvailable();
}

const freshStores = () => ({
  checkpoints: new MemoryCheckpointStore(),
  state: new MemoryStateStore(),
  sink: new RecordingSink(),
  clock: new ManualClock(1_000),
});

describe('a query over a Kinesis shard, crashing and redelivered as a subset', () => {
  it('commits the same outputs and dead letters as a run without faults', async () => {
    const clean = freshStores();
    await invoke(clean, event);
    expect(clean.sink.batches.size).toBeGreaterThanOrEqual(4);
    expect([...clean.sink.batches.values()].flatMap((b) => b.rows).length).toBeGreaterThan(10);
    const allDead = [...clean.sink.batches.values()].flatMap((b) =>
      b.deadLetters.map((d) => d.reason.split(':')[0]),
    );
    expect(allDead.filter((r) => r === 'malformed JSON')).toHaveLength(5); // records 6, 19, 32, 45, 58
    expect(allDead.filter((r) => r === 'partition key mismatch')).toHaveLength(4); // records 3, 20, 37, 54

    for (const phase of ['walCommit', 'getBatch', 'addBatch', 'commitState'] as const) {
      const faulty = freshStores();
      // The first invocation dies in batch 1 after its WAL entry exists ...
      await expect(invoke(faulty, event, { batchId: 1, phase })).rejects.toThrow(`crash in ${phase}`);
      // ... Lambda bisects the event and retries with the second half only: batch 1 is re-fetched.
      const counter = new RequestCounter();
      await invoke(faulty, event.slice(30), undefined, counter);
      expect(counter.take()).toEqual({ 'Kinesis.GetShardIterator': 1, 'Kinesis.GetRecords': 1 });
      expect(faulty.sink.batches, phase).toEqual(clean.sink.batches);
      expect(await faulty.checkpoints.load()).toEqual(await clean.checkpoints.load());
    }
  });
});
