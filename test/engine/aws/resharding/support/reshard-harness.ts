import { DescribeStreamCommand, type Shard } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { expect } from 'vitest';
import { z } from 'zod';
import type { ShardWatermarkPolicy } from '../../../../../engine/api/writer.js';
import type { AwsClients } from '../../../../../engine/aws/clients.js';
import { createStateTable } from '../../../../../engine/aws/dynamodb/index.js';
import { type KinesisHandler, kinesisHandler } from '../../../../../engine/aws/lambda/kinesis-handler.js';
import { hashKeyOf } from '../../../../../engine/aws/resharding/hash-key.js';
import { S3OutputReader } from '../../../../../engine/aws/s3/index.js';
import {
  count,
  type QueryDefinition,
  readStream,
  sessionWindow,
  window,
} from '../../../../../engine/index.js';
import { dynamoDbClient } from '../../../../../local/emulators/clients.js';
import type { Emulators } from '../../../../../local/emulators/index.js';
import { kinesisEvent } from '../../../../support/kinesis-events.js';
import { putAll, readWholeShard } from '../../../../support/kinesis-stream.js';

/** An event of the resharding scenarios: `page` is the partition key, `id` names the event. */
export interface Ev {
  page: string;
  id: string;
  ts: number;
}

const evSchema = z.object({ page: z.string(), id: z.string(), ts: z.number() });
export const MINUTE = 60_000;
/** Event times start here (a watermark starts at 0, and an event at time 0 would be late). */
export const BASE_MS = 1_000 * MINUTE;
/** The queries' watermark delay. */
export const DELAY_MS = 10 * MINUTE;
export const SESSION_GAP_MS = 5 * MINUTE;

const source = () =>
  readStream<Ev>('events', { eventTime: 'ts', schema: evSchema, partitionKey: 'page' }).withWatermark(
    'ts',
    '10 minutes',
  );

/** The three kinds of state a reshard must carry: windows, dedup keys and sessions. */
export function queries(
  policy: ShardWatermarkPolicy = 'max',
): Readonly<Record<'windows' | 'dedup' | 'sessions', QueryDefinition>> {
  return {
    windows: source()
      .groupBy(window('ts', '1 minute'), 'page')
      .agg({ n: count() })
      .writeStream.queryName('windows')
      .outputMode('append')
      .format('json')
      .shardWatermark(policy)
      .build(),
    dedup: source()
      .dropDuplicates(['page', 'id'])
      .writeStream.queryName('dedup')
      .outputMode('append')
      .format('json')
      .shardWatermark(policy)
      .build(),
    sessions: source()
      .groupBy('page', sessionWindow('ts', '5 minutes'))
      .agg({ n: count() })
      .writeStream.queryName('sessions')
      .outputMode('append')
      .format('json')
      .shardWatermark(policy)
      .build(),
  };
}
export const QUERIES = queries();
export type QueryName = keyof typeof QUERIES;

/** A stream with one handler (own table and S3 prefix) per query, driven like Lambda's ESM. */
export class ReshardScenario {
  readonly handlers = new Map<QueryName, KinesisHandler>();
  /** Records already delivered (and committed) per shard. */
  private readonly seen = new Map<string, number>();
  readonly bucket: string;

  constructor(
    readonly emulators: Emulators,
    readonly clients: AwsClients,
    readonly stream: string,
    readonly policy: ShardWatermarkPolicy = 'max',
  ) {
    this.bucket = `bucket-${stream}`;
  }

  async setUp(build: (name: QueryName) => AwsClients = () => this.clients): Promise<void> {
    await this.emulators.clients.s3.send(new CreateBucketCommand({ Bucket: this.bucket }));
    for (const name of Object.keys(QUERIES) as QueryName[]) {
      const tableName = `t-${this.stream}-${name}`;
      await createStateTable(this.emulators.clients.dynamodb, tableName);
      this.handlers.set(
        name,
        kinesisHandler(queries(this.policy)[name], {
          clients: build(name),
          tableName,
          bucket: this.bucket,
          prefix: name,
        }),
      );
    }
  }

  async shards(): Promise<Shard[]> {
    const described = await this.emulators.clients.kinesis.send(
      new DescribeStreamCommand({ StreamName: this.stream }),
    );
    return described.StreamDescription!.Shards!;
  }

  /** The shard (among those open) whose hash range holds `page`. */
  async ownerOf(page: string): Promise<string> {
    const hash = hashKeyOf(page);
    const open = (await this.shards()).filter(
      (s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined,
    );
    return open.find(
      (s) =>
        hash >= BigInt(s.HashKeyRange!.StartingHashKey!) && hash <= BigInt(s.HashKeyRange!.EndingHashKey!),
    )!.ShardId!;
  }

  put(events: readonly Ev[]): Promise<void> {
    return putAll(
      this.emulators.clients.kinesis,
      this.stream,
      events.map((event) => ({ data: event, partitionKey: event.page })),
    );
  }

  /**
   * Invokes every query's handler once per shard with the shard's new records, parents before
   * children (ListShards order), retrying from a reported batch item failure as Lambda does
   * (`retries` times; Lambda then gives up and moves on, as after its maximum retry attempts).
   * `skip` leaves shards out entirely (Lambda has nothing to deliver there yet).
   */
  async drain(options: { retries?: number; only?: QueryName[]; skip?: string[] } = {}): Promise<void> {
    const context = { getRemainingTimeInMillis: () => 60_000 } as Context;
    for (const shard of await this.shards()) {
      const shardId = shard.ShardId!;
      if (options.skip?.includes(shardId)) continue;
      const records = await readWholeShard(this.emulators.clients.kinesis, this.stream, shardId);
      const from = this.seen.get(shardId) ?? 0;
      if (records.length === from) continue;
      for (const [name, handler] of this.handlers) {
        if (options.only !== undefined && !options.only.includes(name)) continue;
        let fresh = records.slice(from);
        for (let attempt = 0; ; attempt++) {
          const response = await handler(kinesisEvent(fresh, { streamName: this.stream, shardId }), context);
          const failed = response.batchItemFailures[0]?.itemIdentifier;
          if (failed === undefined) break;
          if (attempt >= (options.retries ?? 3)) break;
          fresh = fresh.slice(fresh.findIndex((record) => record.SequenceNumber === failed));
        }
      }
      this.seen.set(shardId, records.length);
    }
  }

  async rows(name: QueryName): Promise<Record<string, unknown>[]> {
    const reader = new S3OutputReader({
      client: this.clients.s3,
      bucket: this.bucket,
      prefix: name,
      query: name,
    });
    return reader.readRows();
  }

  /** Checks each query's whole output against the reference computed over `accepted` input. */
  async expectExactlyOnce(accepted: readonly Ev[], openFrom: number): Promise<void> {
    const windows = (await this.rows('windows')).map(
      (row) => `${(row.window as { start: number }).start}|${row.page}=${row.n}`,
    );
    expect(windows.sort()).toEqual(referenceWindows(accepted, openFrom));
    const dedup = (await this.rows('dedup')).map((row) => `${row.page}|${row.id}`);
    expect(dedup.sort()).toEqual(referenceDedup(accepted));
    const sessions = (await this.rows('sessions')).map((row) => {
      const session = row.session_window as { start: number; end: number };
      return `${row.page}|${session.start}-${session.end}=${row.n}`;
    });
    expect(sessions.sort()).toEqual(referenceSessions(accepted, openFrom));
  }
}

/** Every 1-minute window that closes before `openFrom`, with its exact count, once. */
export function referenceWindows(events: readonly Ev[], openFrom: number): string[] {
  const counts = new Map<string, number>();
  for (const event of events) {
    const start = Math.floor(event.ts / MINUTE) * MINUTE;
    if (start + MINUTE > openFrom) continue;
    const key = `${start}|${event.page}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => `${key}=${n}`).sort();
}

/** Each distinct (page, id) once. */
export function referenceDedup(events: readonly Ev[]): string[] {
  return [...new Set(events.map((event) => `${event.page}|${event.id}`))].sort();
}

/** Sessions per page (events within the gap merge, touching included) that close before `openFrom`. */
export function referenceSessions(events: readonly Ev[], openFrom: number): string[] {
  const byPage = new Map<string, number[]>();
  for (const event of events) byPage.set(event.page, [...(byPage.get(event.page) ?? []), event.ts]);
  const out: string[] = [];
  for (const [page, times] of byPage) {
    times.sort((a, b) => a - b);
    let start = times[0]!;
    let end = start + SESSION_GAP_MS;
    let n = 0;
    const close = () => {
      if (end <= openFrom) out.push(`${page}|${start}-${end}=${n}`);
    };
    for (const t of times) {
      if (t > end) {
        close();
        start = t;
        end = t + SESSION_GAP_MS;
        n = 0;
      }
      end = Math.max(end, t + SESSION_GAP_MS);
      n++;
    }
    close();
  }
  return out.sort();
}

/** Events of `pages` at `minute` (one per page, `id` unique per page and minute unless given). */
export function eventsAt(pages: readonly string[], minute: number, id?: string): Ev[] {
  return pages.map((page, i) => ({
    page,
    id: id ?? `m${minute}`,
    ts: BASE_MS + Math.round(minute * MINUTE) + i * 100,
  }));
}

/** A simulated crash: the invocation stops at this call, as if the process died there. */
export class InjectedCrash extends Error {}

/** Which call to crash on: the raw command name (`BatchWriteItemCommand`, …) and the unmarshalled input and an input test. */
export type CrashPoint = (command: string, input: Record<string, unknown>) => boolean;

/**
 * A DynamoDB document client of its own (the middleware stack is per raw client) that crashes
 * once, before sending, on the first call matching the armed point.
 */
export function crashableDynamoDb(emulators: Emulators): {
  client: DynamoDBDocumentClient;
  /** Queues a crash; each queued point fires once, on the first matching call. */
  arm(point: CrashPoint, when?: 'before' | 'after'): void;
  /** Drops every queued crash that has not fired. */
  disarm(): void;
  readonly fired: number;
  readonly armed: number;
} {
  const raw = dynamoDbClient(emulators.endpoints.dynamodb, {
    region: emulators.region,
    credentials: emulators.credentials,
  });
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  const armed: Array<{ point: CrashPoint; when: 'before' | 'after' }> = [];
  let fired = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = (args.input ?? {}) as Record<string, unknown>;
      const index = armed.findIndex((candidate) => candidate.point(context.commandName ?? '', input));
      const hit = index < 0 ? undefined : armed.splice(index, 1)[0];
      if (hit?.when === 'before') {
        fired++;
        throw new InjectedCrash(`crash before ${context.commandName}`);
      }
      const result = await next(args);
      if (hit?.when === 'after') {
        fired++;
        throw new InjectedCrash(`crash after ${context.commandName}`);
      }
      return result;
    },
    { step: 'initialize', priority: 'high', name: 'reshardCrash' },
  );
  return {
    client,
    arm(point, when = 'before') {
      armed.push({ point, when });
    },
    disarm() {
      armed.length = 0;
    },
    get fired() {
      return fired;
    },
    get armed() {
      return armed.length;
    },
  };
}
