import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../../engine/aws/clients.js';
import { type Emulators, startEmulators } from '../../../../local/emulators/index.js';
import { mulberry32 } from '../../../../local/seeded-random.js';
import { createOneShardStream, mergeShards, splitShard } from '../../../support/kinesis-stream.js';
import { BASE_MS, crashableDynamoDb, type Ev, MINUTE, ReshardScenario } from './support/reshard-harness.js';

// Seeded random resharding: splits and merges of random shards between rounds of records, with a
// crash injected at a random DynamoDB call of every round (adoption included); Lambda retries.
// Event times stay within the watermark delay of each other, so no row is late anywhere and the
// reference is simply every row: every closed window and session once with its exact count,
// every distinct event once. More seeds: RESHARD_SEEDS=20 npx vitest run <this file>.

const SEEDS = Number(process.env.RESHARD_SEEDS ?? 1);
const ROUNDS = 6;
const PAGES = ['/a', '/b', '/c', '/d', '/e', '/f', '/g', '/h', '/i', '/j'];
let emulators: Emulators;
let clients: AwsClients;

beforeAll(async () => {
  emulators = await startEmulators({ kinesis: 'kinesalite' });
  clients = {
    dynamodb: emulators.clients.documents,
    s3: emulators.clients.s3,
    kinesis: emulators.clients.kinesis,
  };
});
afterAll(async () => {
  await emulators?.stop();
});

const open = async (scenario: ReshardScenario) =>
  (await scenario.shards())
    .filter((shard) => shard.SequenceNumberRange?.EndingSequenceNumber === undefined)
    .sort((a, b) =>
      BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1,
    );

describe('random reshard sequences with crashes', () => {
  for (let seed = 0; seed < SEEDS; seed++) {
    it(`seed ${seed}: every output exactly once`, { timeout: 300_000 }, async () => {
      const random = mulberry32(seed + 1);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const crash = crashableDynamoDb(emulators);
      const scenario = new ReshardScenario(emulators, clients, `random-${seed}`);
      await createOneShardStream(emulators.clients.kinesis, scenario.stream);
      await scenario.setUp(() => ({ ...clients, dynamodb: crash.client }));
      const accepted: Ev[] = [];
      const log: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        // A random subset of pages (some stay idle across reshards), times rising half a minute
        // a round with under two minutes of spread, duplicates of earlier ids now and then.
        const events: Ev[] = [];
        for (const [i, page] of PAGES.entries()) {
          if (random() < 0.35) continue;
          const ts = BASE_MS + round * 30_000 + Math.floor(random() * 90_000) + i;
          const id = round > 0 && random() < 0.2 ? `r${round - 1}` : `r${round}`;
          events.push({ page, id, ts });
        }
        accepted.push(...events);
        await scenario.put(events);
        let calls = 0;
        const at = 1 + Math.floor(random() * 60);
        const when = random() < 0.5 ? 'before' : 'after';
        crash.arm(() => ++calls === at, when);
        log.push(`round ${round}: ${events.length} events, crash ${when} DynamoDB call ${at}`);
        await scenario.drain({ retries: 10 });
        const shards = await open(scenario);
        if (shards.length > 1 && random() < 0.45) {
          const i = Math.floor(random() * (shards.length - 1));
          await mergeShards(
            emulators.clients.kinesis,
            scenario.stream,
            shards[i]!.ShardId!,
            shards[i + 1]!.ShardId!,
          );
          log.push(`merge ${shards[i]!.ShardId} + ${shards[i + 1]!.ShardId}`);
        } else if (shards.length < 4) {
          const shard = pick(shards).ShardId!;
          await splitShard(emulators.clients.kinesis, scenario.stream, shard);
          log.push(`split ${shard}`);
        }
      }
      crash.disarm();
      const flush = PAGES.map((page, i) => ({ page, id: 'flush', ts: BASE_MS + 100 * MINUTE + i }));
      accepted.push(...flush);
      await scenario.put(flush);
      await scenario.drain({ retries: 10 });
      expect(crash.fired, log.join('\n')).toBeGreaterThan(0);
      await scenario.expectExactlyOnce(accepted, BASE_MS + 90 * MINUTE);
    });
  }
});
