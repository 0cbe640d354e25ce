import { z } from 'zod';
import {
  count,
  type GroupState,
  GroupStateTimeout,
  type QueryDefinition,
  readStream,
  sum,
  window,
} from '../../../engine/index.js';

/** An input event of the fault suite: `key` groups, `id` identifies (duplicates repeat it). */
export const faultEventSchema = z.object({
  key: z.string().min(1),
  id: z.string().min(1),
  v: z.number().int(),
  ts: z.number(),
});
export type FaultEvent = z.infer<typeof faultEventSchema>;

/** The four queries the suite checks, by name. */
export const QUERY_KINDS = ['window-append', 'window-update', 'dedup', 'sessions'] as const;
export type QueryKind = (typeof QUERY_KINDS)[number];

/** What the input generator must know about a query: which field producers use as partition key. */
export const PARTITION_FIELD: Readonly<Record<QueryKind, 'key' | 'id'>> = {
  'window-append': 'key',
  'window-update': 'key',
  dedup: 'id',
  sessions: 'key',
};

/*
 * Every fault query keeps one watermark per shard: the reference run replays the shards one after
 * the other, and with the query-wide watermark (the default) a batch's watermark depends on how far
 * the other shards had got, an interleaving the reference does not reproduce. The query-wide rule
 * is checked under crashes and replays in test/engine/properties/shard-watermark.property.test.ts.
 */

/** Watermark delay of every fault query: small, so that a few dozen records make rows late. */
export const WATERMARK_DELAY_MS = 2 * 60_000;
const SESSION_IDLE_MS = 3 * 60_000;

/** Counts and sums per (1-minute window, key), emitted once per window (append) or on change (update). */
function windowQuery(name: string, mode: 'append' | 'update'): QueryDefinition {
  const writer = readStream<FaultEvent>('events', {
    eventTime: 'ts',
    schema: faultEventSchema,
    partitionKey: 'key',
  })
    .withWatermark('ts', WATERMARK_DELAY_MS)
    .groupBy(window('ts', '1 minute'), 'key')
    .agg({ n: count(), total: sum('v') })
    .writeStream.queryName(name)
    .shardWatermark('per-shard')
    .outputMode(mode);
  // Append goes through Parquet (typed columns), update through JSON Lines: both file formats.
  return (mode === 'append' ? writer.format('parquet') : writer.format('json')).build();
}

/** Events with retried duplicates removed: the same `id` within the watermark delay counts once. */
function dedupQuery(name: string): QueryDefinition {
  return readStream<FaultEvent>('events', { eventTime: 'ts', schema: faultEventSchema, partitionKey: 'id' })
    .withWatermark('ts', WATERMARK_DELAY_MS)
    .dropDuplicatesWithinWatermark(['id'])
    .writeStream.queryName(name)
    .shardWatermark('per-shard')
    .outputMode('append')
    .format('json')
    .build();
}

interface Session {
  start: number;
  end: number;
  events: number;
  total: number;
}

/**
 * The `v` of a poison event: the sessions function throws on it, every time (a deterministic
 * failure in user code, which poison isolation must set aside identically under any crash).
 */
export const POISON_V = 13;

/** Sessions per key that close 3 idle minutes after their last event, in event time. */
export function updateSession(key: string, events: readonly FaultEvent[], state: GroupState<Session>) {
  for (const event of events) if (event.v === POISON_V) throw new Error(`poison event ${event.id}`);
  if (state.hasTimedOut) {
    const closed = state.get();
    state.remove();
    return [{ key, ...closed, status: 'closed' }];
  }
  const before = state.getOption();
  const session: Session =
    before === undefined ? { start: Number.MAX_SAFE_INTEGER, end: 0, events: 0, total: 0 } : { ...before };
  for (const event of events) {
    session.start = Math.min(session.start, event.ts);
    session.end = Math.max(session.end, event.ts);
    session.events += 1;
    session.total += event.v;
  }
  state.update(session);
  state.setTimeoutTimestamp(Math.max(session.end + SESSION_IDLE_MS, state.getCurrentWatermarkMs()));
  return [{ key, ...session, status: 'open' }];
}

function sessionsQuery(name: string): QueryDefinition {
  return readStream<FaultEvent>('events', { eventTime: 'ts', schema: faultEventSchema, partitionKey: 'key' })
    .withWatermark('ts', WATERMARK_DELAY_MS)
    .groupByKey((event) => event.key)
    .flatMapGroupsWithState('update', updateSession, { timeout: GroupStateTimeout.EventTimeTimeout })
    .writeStream.queryName(name)
    .shardWatermark('per-shard')
    .outputMode('update')
    .format('json')
    .build();
}

/** The query of a kind under a run-specific name (the name isolates its state, checkpoint and outputs). */
export function faultQuery(kind: QueryKind, name: string): QueryDefinition {
  switch (kind) {
    case 'window-append':
      return windowQuery(name, 'append');
    case 'window-update':
      return windowQuery(name, 'update');
    case 'dedup':
      return dedupQuery(name);
    case 'sessions':
      return sessionsQuery(name);
  }
}
