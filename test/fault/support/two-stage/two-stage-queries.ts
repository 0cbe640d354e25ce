import {
  count,
  max,
  min,
  type QueryDefinition,
  type Row,
  readStream,
  window,
} from '../../../../engine/index.js';
import type { PutEntry } from '../../../support/kinesis-stream.js';
import { type FaultEvent, faultEventSchema, POISON_V } from '../fault-queries.js';

/**
 * The two-stage queries of the fault suite: producers key events by `key` (a user), the stateful
 * operator keys by something else, so the plan puts an exchange before it and the query runs as
 * stage 1 (`<name>.stage-1`, per source shard) and stage 2 (`<name>`, per internal shard).
 * - `campaign-count`: a count per (1-minute window, campaign `v`), update mode, JSON Lines;
 * - `id-dedup`: a dedup by the event id (`dropDuplicates(['id'])`), append mode, JSON Lines.
 * Neither has a watermark: their final results do not depend on how the stages' batches and the
 * origins interleave, so a faulty run must end exactly where the fault-free run ends. Both throw
 * on a poison event in stage 1 (a filter before the exchange), which poison isolation sets aside.
 */
export const TWO_STAGE_KINDS = ['campaign-count', 'id-dedup'] as const;
export type TwoStageKind = (typeof TWO_STAGE_KINDS)[number];

/** Stage 1's filter: a deterministic failure in user code on poison events. */
function noPoison(event: FaultEvent): boolean {
  if (event.v === POISON_V) throw new Error(`poison event ${event.id}`);
  return true;
}

export function twoStageQuery(kind: TwoStageKind, name: string): QueryDefinition {
  const events = readStream<FaultEvent>('events', {
    eventTime: 'ts',
    schema: faultEventSchema,
    partitionKey: 'key',
  }).filter(noPoison);
  switch (kind) {
    case 'campaign-count':
      return events
        .groupBy(window('ts', '1 minute'), 'v')
        .agg({ n: count(), first: min('ts'), last: max('ts') })
        .writeStream.queryName(name)
        .outputMode('update')
        .format('json')
        .build();
    case 'id-dedup':
      return events
        .dropDuplicates(['id'])
        .writeStream.queryName(name)
        .outputMode('append')
        .format('json')
        .build();
  }
}

/** The events of the input that reach the operator: valid, keyed as declared, not poison. */
export function validEvents(entries: readonly PutEntry[]): FaultEvent[] {
  return entries.flatMap((entry) => {
    if ('heartbeat' in entry) return [];
    const data = entry.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data) || data instanceof Uint8Array)
      return [];
    const parsed = faultEventSchema.safeParse(data);
    if (!parsed.success || parsed.data.key !== entry.partitionKey || parsed.data.v === POISON_V) return [];
    return [parsed.data];
  });
}

/**
 * The result computed straight from the input, as canonical sorted lines: per (window start,
 * campaign) the count and event-time range, or the distinct events. Both runs must equal it too,
 * so a fault that lost or doubled rows in both runs alike would still be caught.
 */
export function expectedResult(kind: TwoStageKind, entries: readonly PutEntry[]): string[] {
  const events = validEvents(entries);
  if (kind === 'id-dedup') {
    const byId = new Map<string, FaultEvent>();
    for (const event of events) if (!byId.has(event.id)) byId.set(event.id, event);
    return [...byId.values()].map((event) => `${event.id}:${event.key}:${event.v}:${event.ts}`).sort();
  }
  const groups = new Map<string, { n: number; first: number; last: number }>();
  for (const event of events) {
    const start = Math.floor(event.ts / 60_000) * 60_000;
    const key = `${start}/${event.v}`;
    const group = groups.get(key) ?? { n: 0, first: event.ts, last: event.ts };
    groups.set(key, {
      n: group.n + 1,
      first: Math.min(group.first, event.ts),
      last: Math.max(group.last, event.ts),
    });
  }
  return [...groups].map(([key, group]) => `${key}:${group.n}:${group.first}:${group.last}`).sort();
}

/** A result row as the line {@link expectedResult} would write for it. */
export function resultLine(kind: TwoStageKind, row: Row): string {
  if (kind === 'id-dedup') return `${row.id}:${row.key}:${row.v}:${row.ts}`;
  const start = (row.window as { start: number }).start;
  return `${start}/${row.v}:${row.n}:${row.first}:${row.last}`;
}
