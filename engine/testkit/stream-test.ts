import type { QueryDefinition } from '../api/writer.js';
import { type MemoryCheckpointStore, MemoryCheckpointTable } from '../checkpoint/memory-checkpoint-store.js';
import type { BatchOutcome, BatchPhase } from '../runtime/batch-runner.js';
import type { RejectedRow } from '../runtime/operator.js';
import type { QueryProgress } from '../runtime/progress.js';
import { StreamExecution } from '../runtime/stream-execution.js';
import { ConsoleSink } from '../sinks/console-sink.js';
import { MemorySink } from '../sinks/memory-sink.js';
import type { Sink } from '../sinks/sink.js';
import { ChangelogStateStore } from '../state/changelog/changelog-state-store.js';
import { MemoryStateObjects } from '../state/changelog/state-objects.js';
import { MemoryStateStore } from '../state/memory-state-store.js';
import type { StateEntry } from '../state/state-store.js';
import { ManualClock } from '../time/clock.js';
import type { BatchId, Row } from '../types.js';
import { MemoryBatchSource } from './memory-batch-source.js';
import type { MemoryStream } from './memory-stream.js';

/** Thrown by the crash hook of {@link StreamTest.crashAfter}. */
export class SimulatedCrash extends Error {
  constructor(readonly phase: BatchPhase) {
    super(`simulated crash after ${phase}`);
  }
}

export interface StreamTestOptions {
  /** Starting processing time of the manual clock. @default 0 */
  readonly startTimeMs?: number;
  /**
   * `'changelog'` runs the S3 changelog store's engine over in-memory objects: every
   * `restart` is then a cold container that loads the committed snapshots and deltas.
   * @default 'memory'
   */
  readonly state?: 'memory' | 'changelog';
  /**
   * The query's partitions (Kinesis shards), each run by an execution of its own with its own
   * checkpoint, as on Lambda; rows reach one with `MemoryStream.addDataTo`. @default ['0']
   */
  readonly partitions?: readonly string[];
}

/**
 * Runs a query in memory, like Spark's `StreamTest`: add data to memory streams, process it
 * (one micro-batch per `addData`, plus the no-data batches the watermark calls for), check the
 * output per batch, advance the manual clock, crash after a phase, stop and restart from the
 * same checkpoint and state, and replay the last batch.
 *
 * The query's own sink is replaced by a memory sink; a `foreachBatch` function is still called.
 *
 * @example
 * const test = new StreamTest(query, [words]);
 * words.addData({ word: 'a', ts: 1000 });
 * await test.processAllAvailable();
 * expect(test.lastOutput()).toEqual([{ word: 'a', count: 1 }]);
 */
export class StreamTest {
  readonly clock: ManualClock;
  stateStore: MemoryStateStore | ChangelogStateStore;
  /** The changelog objects, with `state: 'changelog'`. */
  readonly stateObjects: MemoryStateObjects | undefined;
  /** The checkpoints of every partition (the DynamoDB table's role). */
  readonly checkpointTable = new MemoryCheckpointTable();
  /** The checkpoint of the first partition. */
  readonly checkpoints: MemoryCheckpointStore;
  readonly sink = new MemorySink();
  readonly partitions: readonly string[];
  /** Progress of every batch run, in order (replays included). */
  readonly progress: QueryProgress[] = [];
  /** Rows rejected by operators, in order. */
  readonly rejected: RejectedRow[] = [];
  private readonly executions = new Map<string, StreamExecution>();
  private outcomes: BatchOutcome[] = [];
  private crashPhase: BatchPhase | undefined;
  /** The partition that ran the last batch (what `replayLastBatch` replays). */
  private lastPartition: string;

  constructor(
    private query: QueryDefinition,
    private readonly streams: readonly MemoryStream<any>[],
    options: StreamTestOptions = {},
  ) {
    this.clock = new ManualClock(options.startTimeMs ?? 0);
    this.stateObjects = options.state === 'changelog' ? new MemoryStateObjects() : undefined;
    this.stateStore = this.newStateStore();
    this.partitions = options.partitions ?? ['0'];
    if (this.partitions.length === 0) throw new Error('StreamTest needs at least one partition.');
    for (const partition of this.partitions) this.checkpointTable.partition(partition);
    this.checkpoints = this.checkpointTable.partition(this.partitions[0]!);
    this.lastPartition = this.partitions[0]!;
  }

  private newStateStore(): MemoryStateStore | ChangelogStateStore {
    if (this.stateObjects === undefined) return new MemoryStateStore();
    return new ChangelogStateStore({
      objects: this.stateObjects,
      query: this.query.name,
      isolateValues: true,
    });
  }

  /**
   * Processes everything due on every partition; returns the output rows of the batches run, in
   * order. Partitions take turns, one batch each, in the order given, until none has a batch due
   * (a batch on one partition can make a no-data batch due on another by moving the watermark).
   */
  async processAllAvailable(): Promise<Row[]> {
    const outcomes: BatchOutcome[] = [];
    for (let ran = true; ran; ) {
      ran = false;
      for (const partition of this.partitions) {
        const outcome = await this.running(partition).runNextBatch();
        if (outcome === undefined) continue;
        outcomes.push(outcome);
        ran = true;
      }
    }
    this.record(outcomes);
    return outcomes.flatMap((outcome) => [...outcome.output]);
  }

  /** Runs at most one batch (on `partition`); returns its outcome, or `undefined` if none was due. */
  async runOneBatch(partition = this.partitions[0]!): Promise<BatchOutcome | undefined> {
    const outcome = await this.running(partition).runNextBatch();
    if (outcome !== undefined) this.record([outcome]);
    return outcome;
  }

  /** The checkpoint store of one partition. */
  checkpointsOf(partition: string): MemoryCheckpointStore {
    return this.checkpointTable.partition(partition);
  }

  /** Output rows of the batches run by the last `processAllAvailable` / `runOneBatch`. */
  lastOutput(): Row[] {
    return this.outcomes.flatMap((outcome) => [...outcome.output]);
  }

  /** Output of one batch as the sink holds it. */
  batchOutput(batchId: BatchId): readonly Row[] {
    return this.sink.batch(batchId);
  }

  /** Every row the sink holds, in batch order. */
  allOutput(): Row[] {
    return this.sink.allRows();
  }

  /**
   * Makes the next batch throw a {@link SimulatedCrash} right after `phase` completes;
   * `undefined` cancels a crash that no batch has hit yet.
   */
  crashAfter(phase: BatchPhase | undefined): this {
    this.crashPhase = phase;
    return this;
  }

  /** Drops the running executions; checkpoints, state and sink stay. */
  stop(): this {
    this.executions.clear();
    return this;
  }

  /**
   * Starts new executions from the same checkpoints and state, optionally with a changed query.
   * With the changelog store, the new executions also get a new store (a cold container).
   */
  restart(query: QueryDefinition = this.query): this {
    this.query = query;
    this.executions.clear();
    if (this.stateObjects !== undefined) this.stateStore = this.newStateStore();
    return this;
  }

  /**
   * Re-runs the last committed batch through the recovery path (its WAL entry becomes pending
   * again, a fresh execution replays it) and returns what the replay wrote.
   */
  async replayLastBatch(): Promise<BatchOutcome> {
    const partition = this.lastPartition;
    this.checkpointsOf(partition).reopenLastBatch();
    this.stop();
    const outcome = await this.running(partition).runNextBatch();
    if (outcome === undefined) throw new Error('replayLastBatch: the reopened batch did not run');
    this.record([outcome]);
    return outcome;
  }

  /** Live state of every operator (namespace → key → entry), for comparisons. */
  stateSnapshot(): Record<string, Record<string, StateEntry>> {
    return this.stateStore.snapshot();
  }

  private record(outcomes: BatchOutcome[]): void {
    this.outcomes = outcomes;
    for (const outcome of outcomes) {
      this.lastPartition = outcome.progress.partition;
      this.progress.push(outcome.progress);
      this.rejected.push(...outcome.rejected);
    }
  }

  private running(partition: string): StreamExecution {
    let execution = this.executions.get(partition);
    if (execution === undefined) {
      execution = new StreamExecution({
        query: this.query,
        source: new MemoryBatchSource(this.streams, partition),
        stateStore: this.stateStore,
        checkpoints: this.checkpointsOf(partition),
        sink: this.boundSink(partition),
        clock: this.clock,
        partition,
        hook: (phase) => {
          if (this.crashPhase === phase) {
            this.crashPhase = undefined;
            this.executions.delete(partition);
            throw new SimulatedCrash(phase);
          }
        },
      });
      this.executions.set(partition, execution);
    }
    return execution;
  }

  private boundSink(partition: string): Sink {
    const spec = this.query.sink;
    const memory = this.sink;
    const console = spec.kind === 'console' ? new ConsoleSink() : undefined;
    const query = this.query;
    return {
      description: memory.description,
      async addBatch(batchId, rows) {
        await memory.addBatch(batchId, rows);
        if (console !== undefined) await console.addBatch(batchId, rows);
        if (spec.kind === 'foreachBatch') {
          await spec.fn(structuredClone(rows), batchId, {
            queryName: query.name,
            partition,
            services: {},
          });
        }
      },
    };
  }
}
