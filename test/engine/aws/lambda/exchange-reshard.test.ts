import { type KinesisClient, PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import type { AwsClients } from '../../../../engine/aws/clients.js';
import { kinesisHandler } from '../../../../engine/aws/lambda/kinesis-handler.js';
import { streamShards } from '../../../../engine/aws/resharding/shard-lineage.js';
import { S3OutputReader } from '../../../../engine/aws/s3/index.js';
import {
  type BatchPhase,
  count,
  type QueryDefinition,
  readStream,
  sum,
  window,
} from '../../../../engine/index.js';
import type { Emulators } from '../../../../local/emulators/index.js';
import {
  createActiveStream,
  HANDLER_BUCKET,
  HANDLER_CONTEXT,
  HANDLER_TABLE,
  useHandlerEmulators,
} from '../../../support/handler-emulators.js';
import { kinesisEvent } from '../../../support/kinesis-events.js';
import { mergeShards, putAll, readWholeShard, splitShard } from '../../../support/kinesis-stream.js';

/*
 * Resharding either stream of a running two-stage query on Lambda, on the emulators (kinesalite,
 * dynalite, s3rver, real SDK v3 clients), driven as the event source mapping does: per shard, a
 * child only after its parents' records were all delivered, redelivery from the reported item.
 * The internal stream is split and merged between batches and between a stage-1 batch's rows and
 * its markers (with a crash there: the replay re-puts its rows into the children), the source
 * stream is split (origins end and appear), and stage 2 crashes on a child's first batch. The S3
 * results must equal a reference over all input.
 */

let emulators: Emulators;
let clients: AwsClients;
const tableName = HANDLER_TABLE;
const bucket = HANDLER_BUCKET;
const context = HANDLER_CONTEXT;
useHandlerEmulators((started, handlerClients) => {
  emulators = started;
  clients = handlerClients;
});

interface Click {
  user: string;
  campaign: string;
  id: string;
  ts: number;
  cost: number;
}

function clicks(from: number, n: number): Click[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      user: `user-${(i * 7) % 23}`,
      campaign: `c${(i * 5 + Math.floor(i / 3)) % 11}`,
      id: `id-${(i * 13) % 97}`,
      ts: ((i * 7919) % 60) * 1000,
      cost: (i % 9) + 1,
    };
  });
}

/** Open shards of a stream, in hash order. */
async function openShards(kinesis: KinesisClient, stream: string): Promise<string[]> {
  const shards = [...(await streamShards(kinesis, stream)).values()].filter((s) => !s.closed);
  return shards.sort((a, b) => (a.hashRange.start < b.hashRange.start ? -1 : 1)).map((s) => s.shardId);
}

/**
 * A query's deployment on the emulators: source and internal streams, the handler with a Kinesis
 * client that can run an action right before the next marker PutRecords (a reshard, a crash),
 * crash hooks per shard, and an event source mapping that respects shard lineage.
 */
function deployment(query: QueryDefinition, source: string, internal: string) {
  const kinesis = emulators.clients.kinesis;
  let beforeMarker: (() => Promise<void>) | undefined;
  const send = async (command: unknown) => {
    if (command instanceof PutRecordsCommand && beforeMarker !== undefined) {
      const first = command.input.Records?.[0]?.Data;
      const kind = first === undefined ? undefined : JSON.parse(Buffer.from(first).toString()).kind;
      if (kind === 'marker') {
        const action = beforeMarker;
        beforeMarker = undefined;
        await action();
      }
    }
    return kinesis.send(command as never);
  };
  // The real client (middleware and all) with `send` interposed.
  const interposed = new Proxy(kinesis, {
    get: (target, property) => (property === 'send' ? send : Reflect.get(target, property)),
  });
  const crashes = new Map<string, BatchPhase>();
  let crashed = 0;
  let current = '';
  const handler = kinesisHandler(query, {
    clients: { ...clients, kinesis: interposed },
    tableName,
    bucket,
    prefix: 'reshard',
    exchangeStream: internal,
    hook: (phase) => {
      if (crashes.get(current) === phase) {
        crashes.delete(current);
        crashed++;
        throw new Error(`simulated crash after ${phase} on ${current}`);
      }
    },
  });
  const delivered = new Map<string, number>();
  const finished = new Set<string>();
  let invocations = 0;
  /** One pass of the mapping over a stream: each shard whose parents are finished gets its undelivered records. */
  const pass = async (stream: string): Promise<boolean> => {
    const lineage = await streamShards(kinesis, stream);
    let any = false;
    for (const shard of lineage.values()) {
      const key = `${stream}/${shard.shardId}`;
      if (finished.has(key)) continue;
      if (!shard.parents.every((parent) => finished.has(`${stream}/${parent}`) || !lineage.has(parent)))
        continue;
      const all = await readWholeShard(kinesis, stream, shard.shardId);
      const from = delivered.get(key) ?? 0;
      if (from < all.length) {
        current = key;
        invocations++;
        const event = kinesisEvent(all.slice(from), { streamName: stream, shardId: shard.shardId });
        const failed = (await handler(event, context)).batchItemFailures[0]?.itemIdentifier;
        delivered.set(
          key,
          failed === undefined ? all.length : all.findIndex((r) => r.SequenceNumber === failed),
        );
        any = true;
      }
      if (shard.closed === true && (delivered.get(key) ?? 0) >= all.length) {
        finished.add(key);
        any = true;
      }
    }
    return any;
  };
  const drain = async () => {
    for (let round = 0; round < 60; round++) {
      const a = await pass(source);
      const b = await pass(internal);
      if (!a && !b) return;
    }
    throw new Error('the streams did not drain');
  };
  const put = (rows: Click[]) =>
    putAll(
      kinesis,
      source,
      rows.map((row) => ({ data: row, partitionKey: row.user })),
    );
  return {
    kinesis,
    crashes,
    crashed: () => crashed,
    invocations: () => invocations,
    drain,
    put,
    /** Runs `action` right before the next marker put of stage 1 (after the batch's rows landed). */
    beforeNextMarker: (action: () => Promise<void>) => {
      beforeMarker = action;
    },
    /** Invokes stage 1 on one source shard only (so its batch's rows and markers can be split apart). */
    stage1: async (shardId: string) => {
      const key = `${source}/${shardId}`;
      const all = await readWholeShard(kinesis, source, shardId);
      const from = delivered.get(key) ?? 0;
      if (from >= all.length) return;
      current = key;
      const event = kinesisEvent(all.slice(from), { streamName: source, shardId });
      const failed = (await handler(event, context)).batchItemFailures[0]?.itemIdentifier;
      delivered.set(
        key,
        failed === undefined ? all.length : all.findIndex((r) => r.SequenceNumber === failed),
      );
    },
  };
}

describe('resharding a running two-stage query (emulators)', () => {
  it('count per campaign: the internal stream split, split between rows and markers (crash there), merged; the source stream split', async () => {
    await createActiveStream(emulators.clients.kinesis, 'rs-clicks', 2);
    await createActiveStream(emulators.clients.kinesis, 'rs-clicks-exchange', 2);
    const query = readStream<Click>('rs-clicks', { partitionKey: 'user', eventTime: 'ts' })
      .withWatermark('ts', '1 hour')
      .groupBy(window('ts', '10 seconds'), 'campaign')
      .agg({ n: count(), cost: sum('cost') })
      .writeStream.queryName('rs-per-campaign')
      .outputMode('update')
      .format('json')
      .build();
    const run = deployment(query, 'rs-clicks', 'rs-clicks-exchange');
    const { kinesis } = run;
    const sent: Click[] = [];
    const send = async (rows: Click[]) => {
      sent.push(...rows);
      await run.put(rows);
    };

    await send(clicks(0, 120));
    await run.drain();
    const [internalA, internalB] = await openShards(kinesis, 'rs-clicks-exchange');

    // 1. A split of the internal stream between batches; a crash on a child's first stage-2 batch.
    await splitShard(kinesis, 'rs-clicks-exchange', internalA!);
    const [childA1] = await openShards(kinesis, 'rs-clicks-exchange');
    run.crashes.set(`rs-clicks-exchange/${childA1}`, 'addBatch');
    await send(clicks(120, 120));
    await run.drain();
    expect(run.crashed()).toBe(1);

    // 2. A split between a stage-1 batch's rows and its markers, and stage 1 dies there: its rows
    //    are in the parent (no marker after them); the replay puts rows and markers to the children.
    await send(clicks(240, 120));
    const sources = await openShards(kinesis, 'rs-clicks');
    run.beforeNextMarker(async () => {
      await splitShard(kinesis, 'rs-clicks-exchange', internalB!);
      throw new Error('simulated crash between the rows and the markers');
    });
    await run.stage1(sources[0]!);
    const parentB = await readWholeShard(kinesis, 'rs-clicks-exchange', internalB!);
    const last = JSON.parse(Buffer.from(parentB.at(-1)!.Data!).toString());
    expect(last.kind).toBe('rows'); // rows with no marker after them in the closed parent
    await run.drain();

    // 3. Again without the crash: the writer's markers find the split by where a copy lands.
    await send(clicks(360, 120));
    const open = await openShards(kinesis, 'rs-clicks-exchange');
    run.beforeNextMarker(async () => {
      await mergeShards(kinesis, 'rs-clicks-exchange', open[1]!, open[2]!);
    });
    await run.stage1((await openShards(kinesis, 'rs-clicks'))[1]!);
    await run.drain();

    // 4. The source stream splits: an origin ends, two new ones appear.
    await splitShard(kinesis, 'rs-clicks', sources[0]!);
    await send(clicks(480, 160));
    await run.drain();
    // 5. And the internal stream merges back between batches.
    const now = await openShards(kinesis, 'rs-clicks-exchange');
    await mergeShards(kinesis, 'rs-clicks-exchange', now[0]!, now[1]!);
    await send(clicks(640, 100));
    await run.drain();

    const totals = new Map<string, string>();
    const sums = new Map<string, { n: number; cost: number }>();
    for (const row of sent) {
      const key = `${Math.floor(row.ts / 10_000) * 10_000}/${row.campaign}`;
      const total = sums.get(key) ?? { n: 0, cost: 0 };
      sums.set(key, { n: total.n + 1, cost: total.cost + row.cost });
    }
    for (const [key, total] of sums) totals.set(key, `${total.n}/${total.cost}`);
    const reader = new S3OutputReader({
      client: clients.s3,
      bucket,
      prefix: 'reshard',
      query: 'rs-per-campaign',
    });
    const table = await reader.readRows({ view: 'table' });
    const actual = new Map(
      table.map((row) => [
        `${(row.window as { start: number }).start}/${row.campaign}`,
        `${row.n}/${row.cost}`,
      ]),
    );
    expect(actual).toEqual(totals);
    expect(sums.size).toBeGreaterThan(40);
    // The internal stream went through 2 splits and 2 merges: 8 shards in its lineage.
    expect((await streamShards(kinesis, 'rs-clicks-exchange')).size).toBe(8);
  });

  it('dedup by a non-key id: split between rows and markers without a crash, then a merge', async () => {
    await createActiveStream(emulators.clients.kinesis, 'rs-ids', 2);
    await createActiveStream(emulators.clients.kinesis, 'rs-ids-exchange', 1);
    const query = readStream<Click>('rs-ids', { partitionKey: 'user' })
      .dropDuplicates(['id'])
      .writeStream.queryName('rs-unique')
      .outputMode('append')
      .format('json')
      .build();
    const run = deployment(query, 'rs-ids', 'rs-ids-exchange');
    const { kinesis } = run;
    const sent: Click[] = [];
    const send = async (rows: Click[]) => {
      sent.push(...rows);
      await run.put(rows);
    };
    await send(clicks(0, 100));
    const [only] = await openShards(kinesis, 'rs-ids-exchange');
    run.beforeNextMarker(() => splitShard(kinesis, 'rs-ids-exchange', only!));
    await run.stage1((await openShards(kinesis, 'rs-ids'))[0]!);
    await run.drain();
    await send(clicks(100, 150));
    const children = await openShards(kinesis, 'rs-ids-exchange');
    run.crashes.set(`rs-ids-exchange/${children[1]}`, 'commitState');
    await run.drain();
    await mergeShards(kinesis, 'rs-ids-exchange', children[0]!, children[1]!);
    await send(clicks(250, 150));
    await run.drain();
    const reader = new S3OutputReader({ client: clients.s3, bucket, prefix: 'reshard', query: 'rs-unique' });
    const ids = (await reader.readRows()).map((row) => row.id as string);
    expect(ids.sort()).toEqual([...new Set(sent.map((click) => click.id))].sort());
    expect(ids.length).toBe(97);
  });
});
