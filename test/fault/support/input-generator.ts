import type { PutEntry } from '../../support/kinesis-stream.js';
import { type FaultEvent, PARTITION_FIELD, POISON_V, type QueryKind } from './fault-queries.js';
import type { Prng } from './prng.js';

/** The input of one schedule: the records to put, in order, and how many shards to spread them over. */
export interface GeneratedInput {
  readonly entries: readonly PutEntry[];
  readonly shards: 1 | 2;
  /** How many records of each kind were generated (for the schedule's description). */
  readonly mix: Readonly<Record<RecordKind, number>>;
}

type RecordKind = 'inOrder' | 'outOfOrder' | 'late' | 'duplicate' | 'malformed' | 'heartbeat' | 'poison';

/** An hour boundary, so windows and sessions start on round numbers in failure reports. */
const START_MS = Date.UTC(2024, 0, 1, 12);

/**
 * Generates 20–50 records for a query: mostly in-order events, some out of order (up to 90 s
 * behind), some late (2.5–8 minutes behind, past the 2-minute watermark delay), exact duplicates of
 * earlier events (producer retries), malformed records (broken JSON, invalid UTF-8, missing or
 * invalid event time, schema violations, a wrong partition key, a JSON array) and heartbeats; for
 * the sessions query also poison events, which its function throws on.
 */
export function generateInput(rng: Prng, kind: QueryKind): GeneratedInput {
  const total = rng.int(20, 50);
  const keys = ['a', 'b', 'c', 'd'].slice(0, rng.int(2, 4));
  const partitionField = PARTITION_FIELD[kind];
  const mix: Record<RecordKind, number> = {
    inOrder: 0,
    outOfOrder: 0,
    late: 0,
    duplicate: 0,
    malformed: 0,
    heartbeat: 0,
    poison: 0,
  };
  const sent: FaultEvent[] = [];
  const entries: PutEntry[] = [];
  let clock = START_MS;
  const event = (ts: number): FaultEvent => ({
    key: rng.pick(keys),
    id: `e${entries.length}`,
    v: rng.int(1, 9),
    ts,
  });
  const put = (row: FaultEvent) => {
    sent.push(row);
    entries.push({ data: row, partitionKey: row[partitionField] });
  };
  for (let i = 0; i < total; i++) {
    let recordKind = rng.weighted<RecordKind>({
      inOrder: 62,
      outOfOrder: 10,
      late: 8,
      duplicate: 8,
      malformed: 9,
      heartbeat: 3,
      poison: kind === 'sessions' ? 4 : 0,
    });
    if (recordKind === 'duplicate' && sent.length === 0) recordKind = 'inOrder';
    mix[recordKind]++;
    switch (recordKind) {
      case 'inOrder':
        clock += rng.int(0, 40_000);
        put(event(clock));
        break;
      case 'outOfOrder':
        put(event(clock - rng.int(1_000, 90_000)));
        break;
      case 'late':
        put(event(clock - rng.int(150_000, 480_000)));
        break;
      case 'duplicate':
        put({ ...rng.pick(sent) });
        break;
      case 'malformed':
        entries.push(malformed(rng, event(clock), partitionField));
        break;
      case 'heartbeat':
        entries.push({ heartbeat: true });
        break;
      case 'poison': {
        clock += rng.int(0, 40_000);
        const row = { ...event(clock), v: POISON_V };
        entries.push({ data: row, partitionKey: row[partitionField] });
        break;
      }
    }
  }
  return { entries, shards: rng.chance(0.2) ? 2 : 1, mix };
}

function malformed(rng: Prng, row: FaultEvent, partitionField: 'key' | 'id'): PutEntry {
  const partitionKey = row[partitionField];
  switch (rng.int(0, 6)) {
    case 0:
      return { data: `{"key": "${row.key}", "ts": ${row.ts}, broken`, partitionKey };
    case 1:
      return { data: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), partitionKey };
    case 2:
      return { data: { key: row.key, id: row.id, v: row.v }, partitionKey };
    case 3:
      return { data: { ...row, ts: 'not a time' }, partitionKey };
    case 4:
      return { data: { ...row, v: 'seven' }, partitionKey };
    case 5:
      return { data: row, partitionKey: `${partitionKey}-elsewhere` };
    default:
      return { data: [row.key, row.ts], partitionKey };
  }
}
