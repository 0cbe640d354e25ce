/**
 * One timed pass of each path the handler-path benchmark compares, over the same Lambda events:
 * - floor: base64 + JSON.parse of every record, nothing else — no handler can beat it;
 * - engine: the engine fed rows the bench decodes itself (decode + operators + in-memory stores);
 * - handler: what a Lambda invocation runs, minus the network: per event a new StreamExecution
 *   over a KinesisBatchSource and the edge decoder (`createRecordDecoder`), exactly as
 *   `kinesisHandler` assembles them, with in-memory state and checkpoints kept across events
 *   (a warm container) and a sink that counts rows.
 * Each pass reports wall time, CPU time (`process.cpuUsage`, user + system: what Lambda bills
 * is duration, and on a single-threaded handler CPU time is its floor) and GC pause time.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { createRecordDecoder, KinesisBatchSource, sourcesOf } from '../../engine/aws/kinesis/index.js';
import {
  type BatchInput,
  type BatchSource,
  ManualClock,
  MemoryCheckpointStore,
  MemoryStateStore,
  type Offsets,
  type QueryDefinition,
  type Row,
  type Sink,
  StreamExecution,
} from '../../engine/index.js';
import { decodeEvent, type KinesisStreamEvent } from '../kinesis-events.js';

export type PathName = 'floor' | 'engine' | 'handler';

export interface PassFigures {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly gcMs: number;
  readonly records: number;
  /** Rows decoded (floor) or written to the sink (engine, handler): a sanity check across paths. */
  readonly rowsOut: number;
  readonly batches: number;
}

let gcTotalMs = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcTotalMs += entry.duration;
});
gcObserver.observe({ entryTypes: ['gc'] });

/** Lets pending GC entries reach the observer (they are delivered asynchronously). */
const flushGc = () => new Promise((resolve) => setTimeout(resolve, 0));

async function timed(
  run: () => Promise<Omit<PassFigures, 'wallMs' | 'cpuMs' | 'gcMs'>>,
): Promise<PassFigures> {
  await flushGc();
  const gcBefore = gcTotalMs;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const result = await run();
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  await flushGc();
  return { ...result, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, gcMs: gcTotalMs - gcBefore };
}

const recordsOf = (events: readonly KinesisStreamEvent[]) =>
  events.reduce((total, event) => total + event.Records.length, 0);

export function runFloor(events: readonly KinesisStreamEvent[]): Promise<PassFigures> {
  return timed(async () => {
    let rowsOut = 0;
    for (const event of events) rowsOut += decodeEvent(event).length;
    return { records: recordsOf(events), rowsOut, batches: 0 };
  });
}

/** A sink that only counts, shared by the engine and handler paths. */
function countingSink(): Sink & { rows: number } {
  return {
    description: 'count',
    rows: 0,
    async addBatch(_batchId, rows) {
      this.rows += rows.length;
    },
  };
}

/**
 * The engine path's source: offsets count events consumed; `getBatch` decodes the events with
 * the bench's own decoder and converts the event-time column as the edge would (it is already
 * epoch ms in these events, so no conversion is needed).
 */
class DecodedEventSource implements BatchSource {
  available = 0;
  constructor(
    private readonly events: readonly KinesisStreamEvent[],
    private readonly source: string,
  ) {}
  async nextEndOffsets(committed: Offsets): Promise<Offsets | undefined> {
    const consumed = (committed[this.source] as number | undefined) ?? 0;
    return consumed < this.available ? { [this.source]: consumed + 1 } : undefined;
  }
  async getBatch(start: Offsets, end: Offsets): Promise<BatchInput> {
    const from = (start[this.source] as number | undefined) ?? 0;
    const rows: Row[] = [];
    for (let i = from; i < (end[this.source] as number); i++) {
      for (const row of decodeEvent(this.events[i]!)) rows.push(row);
    }
    return { rows: new Map([[this.source, rows]]), deadLetters: [] };
  }
}

export function runEngine(
  events: readonly KinesisStreamEvent[],
  query: () => QueryDefinition,
): Promise<PassFigures> {
  const definition = query();
  const sourceName = sourcesOf(definition)[0]!.name;
  return timed(async () => {
    const sink = countingSink();
    const source = new DecodedEventSource(events, sourceName);
    const execution = new StreamExecution({
      query: definition,
      source,
      stateStore: new MemoryStateStore({ isolateValues: false }),
      checkpoints: new MemoryCheckpointStore(),
      sink,
      clock: new ManualClock(0),
    });
    let batches = 0;
    for (let i = 0; i < events.length; i++) {
      source.available = i + 1;
      batches += (await execution.processAllAvailable()).length;
    }
    return { records: recordsOf(events), rowsOut: sink.rows, batches };
  });
}

/** One simulated warm container: one invocation per event, as `kinesisHandler` runs them. */
export function runHandler(
  events: readonly KinesisStreamEvent[],
  query: () => QueryDefinition,
): Promise<PassFigures> {
  const definition = query();
  return timed(async () => {
    const decode = createRecordDecoder({ sources: sourcesOf(definition) });
    const stateStore = new MemoryStateStore({ isolateValues: false });
    const checkpoints = new MemoryCheckpointStore();
    const sink = countingSink();
    const clock = new ManualClock(0);
    let batches = 0;
    for (const event of events) {
      const shardId = event.Records[0]!.eventID.split(':')[0]!;
      const execution = new StreamExecution({
        query: definition,
        source: new KinesisBatchSource({ records: event.Records, decode, shardId }),
        stateStore,
        checkpoints,
        sink,
        clock,
        partition: shardId,
      });
      while ((await execution.runNextBatch()) !== undefined) batches++;
    }
    return { records: recordsOf(events), rowsOut: sink.rows, batches };
  });
}
