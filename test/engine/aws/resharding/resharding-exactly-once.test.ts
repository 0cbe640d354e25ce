import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../../engine/aws/clients.js';
import { DynamoDbCheckpointStore } from '../../../../engine/aws/dynamodb/dynamodb-checkpoint-store.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';
import { createOneShardStream, mergeShards, splitShard } from '../../../support/kinesis-stream.js';
import {
  BASE_MS,
  crashableDynamoDb,
  type Ev,
  eventsAt,
  MINUTE,
  ReshardScenario,
} from './support/reshard-harness.js';

// Windows, dedup keys and sessions through uneven merges, a split quickly followed by a merge, and
// several reshards in a row; every output is checked against a reference over all accepted input
// (every closed window and session once with its exact count, every distinct event once).

const engine = (process.env.SLUICE_TEST_KINESIS ?? 'kinesalite') as 'kinesalite' | 'kinesis-local';
let emulators: Emulators;
let clients: AwsClients;
const PAGES = ['/a', '/b', '/c', '/d', '/e', '/f', '/g', '/h'];
/** Every window and session before this closes once the flush (minute 100) is in. */
const OPEN_FROM = BASE_MS + 90 * MINUTE;

beforeAll(async () => {
  emulators = await startEmulators({ kinesis: engine });
  clients = {
    dynamodb: emulators.clients.documents,
    s3: emulators.clients.s3,
    kinesis: emulators.clients.kinesis,
  };
});
afterAll(async () => {
  await emulators?.stop();
});

/** The open shards in hash order (MergeShards on kinesalite takes the lower one first). */
const openShards = async (scenario: ReshardScenario) =>
  (await scenario.shards())
    .filter((shard) => shard.SequenceNumberRange?.EndingSequenceNumber === undefined)
    .sort((a, b) =>
      BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1,
    );

/** Pages grouped by the open shard that owns them. */
async function pagesByShard(scenario: ReshardScenario): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const page of PAGES) {
    const owner = await scenario.ownerOf(page);
    out.set(owner, [...(out.get(owner) ?? []), page]);
  }
  return out;
}

// The merged child lists the lower shard as its first parent: each case puts the lagging one there.
// With a watermark per shard the lagging parent's keys keep its (lower) late bound; with one
// watermark per query (`max`, the default) they were already behind the query's watermark, so
// their rows after the merge are late there too (Spark's semantics) and not in the reference.
describe.each([
  ['busy shard first, per-shard watermarks', false, 'per-shard'],
  ['lagging shard first, per-shard watermarks', true, 'per-shard'],
  ['lagging shard first, one watermark per query', true, 'max'],
] as const)('merging a busy shard with a lagging one (%s)', (_, lagFirst, policy) => {
  it('re-opens nothing the busy parent closed and drops nothing the lagging parent would have kept', async () => {
    const scenario = new ReshardScenario(emulators, clients, `lag-${lagFirst ? 'l' : 'b'}-${policy}`, policy);
    await createOneShardStream(emulators.clients.kinesis, scenario.stream);
    await scenario.setUp();
    await splitShard(emulators.clients.kinesis, scenario.stream, 'shardId-000000000000');
    const [lower, upper] = (await openShards(scenario)).map((shard) => shard.ShardId!);
    const [busyShard, lagShard] = lagFirst ? [upper, lower] : [lower, upper];
    const owned = await pagesByShard(scenario);
    const busy = owned.get(busyShard!)!;
    const lag = owned.get(lagShard!)!;
    expect(busy.length).toBeGreaterThan(0);
    expect(lag.length).toBeGreaterThan(0);

    const accepted: Ev[] = [];
    const put = async (events: Ev[], keep = true) => {
      if (keep) accepted.push(...events);
      await scenario.put(events);
    };
    // The lagging parent sees minutes 0-1 (watermark 0); the busy one minutes 0-30 (watermark 20).
    await put([...eventsAt(lag, 0), ...eventsAt(lag, 1)]);
    for (let m = 0; m <= 30; m++) await put(eventsAt(busy, m));
    await scenario.drain();

    await mergeShards(emulators.clients.kinesis, scenario.stream, lower!, upper!);
    // Late for the busy parent (window, dedup time and session all ≤ its watermark): dropped.
    await put([...eventsAt(busy, 2, 'late'), ...eventsAt(busy, 2)], false);
    // Not late for the lagging parent: windows and sessions that straddle the merge.
    await put([...eventsAt(lag, 3), ...eventsAt(lag, 4)], policy === 'per-shard');
    await put(eventsAt(busy, 31));
    await scenario.drain();
    await put(eventsAt(PAGES, 100));
    await scenario.drain();

    await scenario.expectExactlyOnce(accepted, OPEN_FROM);
  });
});

describe.each([
  ['shard with data first', false],
  ['shard without data first', true],
])('a split quickly followed by a merge (%s)', (_, emptyFirst) => {
  it('the in-between shard that never got a record hands over its parent’s groups', async () => {
    const scenario = new ReshardScenario(emulators, clients, `quick-${emptyFirst ? 'e' : 'd'}`);
    await createOneShardStream(emulators.clients.kinesis, scenario.stream);
    await scenario.setUp();
    const accepted: Ev[] = [];
    const put = async (events: Ev[]) => {
      accepted.push(...events);
      await scenario.put(events);
    };
    await put([...eventsAt(PAGES, 0), ...eventsAt(PAGES, 1)]);
    await scenario.drain();

    await splitShard(emulators.clients.kinesis, scenario.stream, 'shardId-000000000000');
    const [lower, upper] = (await openShards(scenario)).map((shard) => shard.ShardId!);
    const [withData] = emptyFirst ? [upper, lower] : [lower, upper];
    const owned = await pagesByShard(scenario);
    await put(eventsAt(owned.get(withData!)!, 2));
    await scenario.drain();

    await mergeShards(emulators.clients.kinesis, scenario.stream, lower!, upper!);
    await put(eventsAt(PAGES, 3));
    await scenario.drain();
    await put(eventsAt(PAGES, 100));
    await scenario.drain();

    await scenario.expectExactlyOnce(accepted, OPEN_FROM);
  });
});

describe('several reshards in a row', () => {
  it('split, split, merge, merge with records on both sides of each: every output exactly once', async () => {
    const scenario = new ReshardScenario(emulators, clients, 'chain');
    await createOneShardStream(emulators.clients.kinesis, scenario.stream);
    await scenario.setUp();
    const accepted: Ev[] = [];
    let minute = 0;
    /** Two minutes of every page, a duplicate of the previous minute's events among them. */
    const round = async () => {
      const events = [...eventsAt(PAGES, minute), ...eventsAt(PAGES, minute + 0.5)];
      if (minute > 0) events.push(...eventsAt(PAGES, minute, `m${minute - 1}`));
      accepted.push(...events);
      await scenario.put(events);
      await scenario.drain();
      minute += 1;
    };
    await round();
    await splitShard(emulators.clients.kinesis, scenario.stream, 'shardId-000000000000');
    await round();
    const [low, high] = (await openShards(scenario)).map((shard) => shard.ShardId!);
    await splitShard(emulators.clients.kinesis, scenario.stream, low!);
    await round();
    // The upper quarter-child of `low` is adjacent to `high`: merge them.
    const quarters = (await openShards(scenario)).filter((shard) => shard.ParentShardId === low);
    const upper = quarters.sort((a, b) =>
      BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1,
    )[1]!;
    await mergeShards(emulators.clients.kinesis, scenario.stream, upper.ShardId!, high!);
    await round();
    const [first, second] = (await openShards(scenario)).map((shard) => shard.ShardId!);
    await mergeShards(emulators.clients.kinesis, scenario.stream, first!, second!);
    await round();
    const flush = eventsAt(PAGES, 100);
    accepted.push(...flush);
    await scenario.put(flush);
    await scenario.drain();

    await scenario.expectExactlyOnce(accepted, OPEN_FROM);
  });
});

describe('crashes around adoption', () => {
  it('a closed parent’s pending batch is finished by its children; crashes anywhere in adoption repeat it safely; the parent is retired', async () => {
    const crash = crashableDynamoDb(emulators);
    const scenario = new ReshardScenario(emulators, clients, 'crash');
    await createOneShardStream(emulators.clients.kinesis, scenario.stream);
    await scenario.setUp(() => ({ ...clients, dynamodb: crash.client }));
    const parent = 'shardId-000000000000';
    const accepted: Ev[] = [];
    const put = async (events: Ev[]) => {
      accepted.push(...events);
      await scenario.put(events);
    };
    const sk = (input: Record<string, unknown>) =>
      ((input.Key ?? input.Item) as { sk?: string } | undefined)?.sk;
    const isCommit = (command: string, input: Record<string, unknown>) =>
      command === 'UpdateItemCommand' && String(input.UpdateExpression).startsWith('SET #committed');

    await put([...eventsAt(PAGES, 0), ...eventsAt(PAGES, 1)]);
    // The parent's first batch of each query is planned, then its commit is lost, and Lambda has
    // no retries left: the batch stays pending when the shard closes.
    for (let i = 0; i < 3; i++)
      crash.arm((command, input) => isCommit(command, input) && sk(input) === parent);
    await scenario.drain({ retries: 0 });
    expect(crash.fired).toBe(3);

    await splitShard(emulators.clients.kinesis, scenario.stream, parent);
    const [low, high] = (await openShards(scenario)).map((shard) => shard.ShardId!);
    await put([...eventsAt(PAGES, 2), ...eventsAt(PAGES, 3)]);
    // The first child's first invocation: the replay of the parent's batch crashes before its
    // commit, then (retried) after writing the adopted state but before creating its checkpoint,
    // then right after creating it (before its first batch).
    crash.arm((command, input) => isCommit(command, input) && sk(input) === parent);
    crash.arm((command, input) => command === 'PutItemCommand' && sk(input) === low);
    crash.arm((command, input) => command === 'PutItemCommand' && sk(input) === low, 'after');
    // The second child crashes as it retires the parent (after its first commit): harmless.
    crash.arm((command, input) => command === 'DeleteItemCommand' && sk(input) === parent);
    await scenario.drain({ retries: 5 });
    expect(crash.armed).toBe(0);

    await put(eventsAt(PAGES, 100));
    await scenario.drain();
    await scenario.expectExactlyOnce(accepted, OPEN_FROM);

    // Every query's parent is retired once both children adopted (one retirement crashed, the
    // other child or the next one did it), and the children are not.
    for (const name of ['windows', 'dedup', 'sessions'] as const) {
      const store = (partition: string) =>
        new DynamoDbCheckpointStore({
          client: clients.dynamodb,
          tableName: `t-${scenario.stream}-${name}`,
          query: name,
          partition,
        });
      expect(await store(low!).load()).toBeDefined();
      expect(await store(high!).load()).toBeDefined();
      if (name !== 'windows') expect(await store(parent).load()).toBeUndefined();
    }
  });
});
