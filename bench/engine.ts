/**
 * The engine benchmark: a tumbling-window count over many keys, fed Kinesis-shaped Lambda
 * events, timed next to the decode floor (base64 + JSON.parse of the same events and nothing
 * else), which no Lambda handler can beat.
 */
import {
  type BatchInput,
  type BatchSource,
  ManualClock,
  MemoryCheckpointStore,
  MemoryStateStore,
  type Offsets,
  type OutputMode,
  type QueryDefinition,
  type Row,
  readStream,
  StreamExecution,
  window,
} from '../engine/index.js';
import { decodeEvent, type KinesisStreamEvent, type PageView } from './kinesis-events.js';

const SOURCE = 'page-views';

/** `groupBy(window(ts, 1 minute), key).count()` with a 10 second watermark. */
export function windowedCountQuery(mode: OutputMode): QueryDefinition {
  return readStream<PageView>(SOURCE)
    .withWatermark('ts', '10 seconds')
    .groupBy(window('ts', '1 minute'), 'key')
    .count()
    .writeStream.queryName('bench-windowed-count')
    .outputMode(mode)
    .build();
}

/** What one timed pass produced, so the work cannot be optimized away and can be sanity-checked. */
export interface PassResult {
  readonly elapsedMs: number;
  readonly records: number;
  /** Rows decoded (floor) or rows written to the sink (engine). */
  readonly rowsOut: number;
  /** Batches run (engine; includes no-data batches). */
  readonly batches: number;
}

/** Decodes every record of every event: the floor any handler pays. */
export function runDecodeFloor(events: readonly KinesisStreamEvent[]): PassResult {
  const started = performance.now();
  let rowsOut = 0;
  let records = 0;
  for (const event of events) {
    const rows = decodeEvent(event);
    rowsOut += rows.length;
    records += event.Records.length;
  }
  return { elapsedMs: performance.now() - started, records, rowsOut, batches: 0 };
}

/**
 * Serves events as batches: the offset is the number of events consumed, and `getBatch`
 * decodes the next event's records (so decoding is inside the timed engine path, as in Lambda).
 */
class KinesisEventSource implements BatchSource {
  /** Events delivered so far; one more arrives per simulated invocation. */
  available = 0;

  constructor(private readonly events: readonly KinesisStreamEvent[]) {}

  async nextEndOffsets(committed: Offsets): Promise<Offsets | undefined> {
    const consumed = (committed[SOURCE] as number | undefined) ?? 0;
    return consumed < this.available ? { [SOURCE]: consumed + 1 } : undefined;
  }

  async getBatch(start: Offsets, end: Offsets): Promise<BatchInput> {
    const from = (start[SOURCE] as number | undefined) ?? 0;
    const to = end[SOURCE] as number;
    const rows: Row[] = [];
    for (let i = from; i < to; i++) for (const row of decodeEvent(this.events[i]!)) rows.push(row);
    return { rows: new Map([[SOURCE, rows]]), deadLetters: [] };
  }
}

/**
 * Runs every event through a fresh engine (in-memory state without defensive copies, in-memory
 * checkpoints, a sink that discards rows), one event per simulated invocation: the event's batch,
 * then the no-data batch the watermark may call for. Timed: decode + operators + state + commit.
 */
export async function runEngine(
  events: readonly KinesisStreamEvent[],
  mode: OutputMode,
): Promise<PassResult> {
  let rowsOut = 0;
  const source = new KinesisEventSource(events);
  const execution = new StreamExecution({
    query: windowedCountQuery(mode),
    source,
    stateStore: new MemoryStateStore({ isolateValues: false }),
    checkpoints: new MemoryCheckpointStore(),
    sink: {
      description: 'discard',
      async addBatch(_batchId, rows) {
        rowsOut += rows.length;
      },
    },
    clock: new ManualClock(0),
  });
  let batches = 0;
  const started = performance.now();
  for (let i = 0; i < events.length; i++) {
    source.available = i + 1;
    batches += (await execution.processAllAvailable()).length;
  }
  const elapsedMs = performance.now() - started;
  const records = events.reduce((total, event) => total + event.Records.length, 0);
  return { elapsedMs, records, rowsOut, batches };
}
