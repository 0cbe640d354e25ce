import type { QueryDefinition } from '../api/writer.js';
import { type MemoryCheckpointStore, MemoryCheckpointTable } from '../checkpoint/memory-checkpoint-store.js';
import { adoptExchangePartition } from '../exchange/adopt-partition.js';
import { ExchangeReader } from '../exchange/exchange-reader.js';
import type { ExchangeTransport } from '../exchange/exchange-record.js';
import { ExchangeWriter } from '../exchange/exchange-writer.js';
import { MemoryExchange } from '../exchange/memory-exchange.js';
import {
  exchangeOrigin,
  planStages,
  type Stage,
  type StagedQuery,
  stageOnes,
} from '../plan/exchange/plan-stages.js';
import type { StreamShards } from '../reshard/lineage.js';
import type { BatchOutcome, BatchPhase } from '../runtime/batch-runner.js';
import { compileQuery } from '../runtime/compile.js';
import type { DeadLetter } from '../runtime/dead-letter.js';
import type { DroppedRow, RejectedRow } from '../runtime/operator.js';
import type { QueryProgress } from '../runtime/progress.js';
import { StreamExecution, type StreamExecutionOptions } from '../runtime/stream-execution.js';
import { ConsoleSink } from '../sinks/console-sink.js';
import { MemorySink } from '../sinks/memory-sink.js';
import type { Sink } from '../sinks/sink.js';
import { ChangelogStateStore } from '../state/changelog/changelog-state-store.js';
import { MemoryStateObjects } from '../state/changelog/state-objects.js';
import { MemoryStateStore, type MemoryStateStoreOptions } from '../state/memory-state-store.js';
import type { StateEntry } from '../state/state-store.js';
import { ManualClock } from '../time/clock.js';
import type { BatchId, Row } from '../types.js';
import { MemoryBatchSource, type MemoryBatchSourceOptions } from './memory-batch-source.js';
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
  /**
   * Partitions of the exchange when the query runs as two stages (see `explain`); stage 2 runs
   * one execution per exchange partition, named `exchange-0`, `exchange-1`, … (`test.exchange`
   * can split and merge them while the query runs). @default 2
   */
  readonly exchangePartitions?: number;
  /**
   * The exchange's transport instead of the in-memory one, e.g. a `KinesisExchange` over an internal
   * stream on the emulators; its partitions (shards) replace `exchangePartitions`. Any partition
   * that is not a source partition is then an exchange partition.
   */
  readonly exchangeTransport?: ExchangeTransport;
  /** Options of the in-memory state store (e.g. `limits`), with `state: 'memory'`. */
  readonly stateStore?: MemoryStateStoreOptions;
  /**
   * Passed to the execution: per-group state bound, poison isolation, late rows. Unlike the
   * Lambda runtime, the test kit leaves poison isolation off unless asked (`poisonIsolation: {}`):
   * a test should see its query's errors, not dead letters.
   */
  readonly execution?: Pick<
    StreamExecutionOptions,
    'maxStateBytesPerGroup' | 'poisonIsolation' | 'keepDroppedRows' | 'onIsolation'
  >;
}

/**
 * Runs a query in memory, like Spark's `StreamTest`: add data to memory streams, process it
 * (one micro-batch per `addData`, plus the no-data batches the watermark calls for), check the
 * output per batch, advance the manual clock, crash after a phase, stop and restart from the
 * same checkpoint and state, and replay the last batch.
 *
 * The query's own sink is replaced by a memory sink; a `foreachBatch` function is still called.
 * A query that needs an exchange (see `explain`) runs as its two stages: stage 1 on the source
 * partitions, writing into an in-memory exchange, stage 2 on the exchange's partitions, writing the
 * output; `processAllAvailable` runs both until neither has a batch due.
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
  /** The in-memory exchange between the stages of a two-stage query (`undefined` for one stage or another transport). */
  readonly exchange: MemoryExchange | undefined;
  /** The exchange's transport (the in-memory one unless `exchangeTransport` was given). */
  private readonly transport: ExchangeTransport | undefined;
  /** Checkpoints of stage 2's partitions, when the query has two stages. */
  readonly exchangeCheckpointTable = new MemoryCheckpointTable();
  /**
   * Stage 2's partitions (`exchange-0`, …), empty for a one-stage query: those known so far, in the
   * order they run (parents before children; refreshed whenever the test kit runs them).
   */
  get exchangePartitionIds(): readonly string[] {
    return this.knownExchange;
  }
  private knownExchange: string[] = [];
  /** Exchange partitions that are closed and have nothing left to run (their children may start). */
  private readonly finishedExchange = new Set<string>();
  /** Exchange partitions known to hold records (Lambda invokes only those). */
  private readonly nonEmptyExchange = new Set<string>();
  /** Set when a partition finished: its children may have become runnable. */
  private childrenMayStart = false;
  private staged: StagedQuery;
  /**
   * With several stage 1s (a join's sides, a union's inputs): each one's run on each source
   * partition, by its exchange origin `<stage-1 name>/<partition>` (what `runOneBatch` takes).
   */
  private stageOneRuns = new Map<string, { stage: Stage; partition: string }>();
  /** Checkpoints of each stage 1 by name, when a query has several. */
  private readonly stageOneTables = new Map<string, MemoryCheckpointTable>();
  /** Dead letters of every batch run, in order (replays included). */
  readonly deadLetters: DeadLetter[] = [];
  /** Rows dropped as late (with `execution.keepDroppedRows`), in order. */
  readonly droppedRows: DroppedRow[] = [];
  private outcomes: BatchOutcome[] = [];
  private crashPhase: BatchPhase | undefined;
  /** The partition that ran the last batch (what `replayLastBatch` replays). */
  private lastPartition: string;
  /** The run id (`runOneBatch`'s) of the last batch, when known. */
  private lastRun: string | undefined;
  /** While a Trigger.Once / AvailableNow run is on: what its sources may offer. */
  private trigger: MemoryBatchSourceOptions | undefined;
  /**
   * The run the executions belong to (Spark's `runId`, on Lambda a deployment): only
   * {@link newRun} starts another. A crash and its replay, `stop`, `restart` (a cold container) and
   * trigger runs stay in the run, as retried and new Lambda invocations of one deployment do.
   */
  private runNumber = 0;

  constructor(
    private query: QueryDefinition,
    private readonly streams: readonly MemoryStream<any>[],
    private readonly options: StreamTestOptions = {},
  ) {
    this.clock = new ManualClock(options.startTimeMs ?? 0);
    this.stateObjects = options.state === 'changelog' ? new MemoryStateObjects() : undefined;
    this.stateStore = this.newStateStore();
    this.partitions = options.partitions ?? ['0'];
    if (this.partitions.length === 0) throw new Error('StreamTest needs at least one partition.');
    for (const partition of this.partitions) this.checkpointTable.partition(partition);
    this.checkpoints = this.checkpointTable.partition(this.partitions[0]!);
    this.lastPartition = this.partitions[0]!;
    this.staged = planStages(query);
    const given = options.exchangeTransport;
    const count = options.exchangePartitions ?? 2;
    this.exchange =
      this.staged.exchange === undefined || given !== undefined ? undefined : new MemoryExchange(count);
    this.transport = this.staged.exchange === undefined ? undefined : (given ?? this.exchange);
    this.knownExchange = this.exchange?.openPartitions() ?? [];
    this.layStageOnes();
  }

  /** The runs of stage 1 when a query has several (see `stageOneRuns`). */
  private layStageOnes(): void {
    const ones = stageOnes(this.staged);
    this.stageOneRuns = new Map(
      ones.length < 2
        ? []
        : ones.flatMap((stage) =>
            this.partitions.map(
              (partition) => [exchangeOrigin(this.staged, stage, partition), { stage, partition }] as const,
            ),
          ),
    );
  }

  /**
   * What runs stage 1 (or the query itself), as `runOneBatch` takes it: the source partitions, or
   * with several stage 1s each one's run `<stage-1 name>/<partition>`.
   */
  get stageOnePartitionIds(): readonly string[] {
    return this.stageOneRuns.size > 0 ? [...this.stageOneRuns.keys()] : this.partitions;
  }

  /** Whether a partition is one of stage 2's (any partition but the sources', with an exchange). */
  private isExchangePartition(partition: string): boolean {
    return (
      this.transport !== undefined &&
      !this.partitions.includes(partition) &&
      !this.stageOneRuns.has(partition)
    );
  }

  /**
   * The exchange partitions to run now, as Lambda would (run one with `runOneBatch`): a partition
   * with records, once every parent is closed and finished (a closed partition whose last run found nothing to do). A
   * partition without records is never invoked and counts as finished once closed.
   */
  async exchangeRunnable(): Promise<string[]> {
    if (this.transport === undefined) return [];
    const lineage = await this.transport.partitions();
    const ordered = [...lineage.values()].sort(
      (a, b) => depthOf(lineage, a.shardId) - depthOf(lineage, b.shardId) || (a.shardId < b.shardId ? -1 : 1),
    );
    this.knownExchange = ordered.map((partition) => partition.shardId);
    const runnable: string[] = [];
    for (const partition of ordered) {
      if (this.finishedExchange.has(partition.shardId)) continue;
      if (!partition.parents.every((parent) => this.finishedExchange.has(parent))) continue;
      if (!this.nonEmptyExchange.has(partition.shardId)) {
        if ((await this.transport.read(partition.shardId, undefined)).length > 0)
          this.nonEmptyExchange.add(partition.shardId);
      }
      if (!this.nonEmptyExchange.has(partition.shardId)) {
        if (partition.closed === true) this.finishedExchange.add(partition.shardId);
        continue;
      }
      runnable.push(partition.shardId);
    }
    return runnable;
  }

  /** The stage a partition runs: stage 1 on source partitions, stage 2 on exchange partitions. */
  private stageOf(partition: string): Stage {
    const last = this.staged.stages.at(-1)!;
    return this.isExchangePartition(partition) ? last : this.staged.stages[0]!;
  }

  /** Whether a partition's output is the query's (the last stage), not rows for the exchange. */
  private isFinal(partition: string): boolean {
    return this.staged.stages.length === 1 || this.isExchangePartition(partition);
  }

  private newStateStore(): MemoryStateStore | ChangelogStateStore {
    if (this.stateObjects === undefined) return new MemoryStateStore(this.options.stateStore);
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
      this.childrenMayStart = false;
      for (const partition of [...this.stageOnePartitionIds, ...(await this.exchangeRunnable())]) {
        const outcome = await this.runPartition(partition);
        if (outcome === undefined) continue;
        outcomes.push(outcome);
        ran = true;
      }
      if (this.childrenMayStart) ran = true;
    }
    this.record(outcomes);
    return this.lastOutput();
  }

  /**
   * Spark's `Trigger.AvailableNow`: starts the query from its checkpoints and state (as a restart
   * does: a pending WAL entry is replayed first), runs every batch due on the data added so far —
   * one per `addData`, as {@link processAllAvailable} cuts them, and the no-data batches they make
   * due — then stops. Data added after the trigger started waits for the next trigger. Returns the
   * output of the batches run.
   */
  async runAvailableNow(): Promise<Row[]> {
    return this.withTrigger({ throughSeq: this.latestSeq() }, () => this.processAllAvailable());
  }

  /**
   * Spark's `Trigger.Once`: starts the query from its checkpoints, runs one batch per partition
   * with all the data available (every `addData` not yet processed, together; a pending WAL entry
   * is replayed instead; with no new data, a due no-data batch) and stops.
   */
  async runOnce(): Promise<Row[]> {
    return this.withTrigger({ throughSeq: this.latestSeq(), oneBatch: true }, async () => {
      const outcomes: BatchOutcome[] = [];
      for (const partition of [...this.stageOnePartitionIds, ...(await this.exchangeRunnable())]) {
        const outcome = await this.runPartition(partition);
        if (outcome !== undefined) outcomes.push(outcome);
      }
      this.record(outcomes);
      return this.lastOutput();
    });
  }

  /** Runs `body` on fresh executions whose sources the trigger bounds, then stops them. */
  private async withTrigger<T>(bound: MemoryBatchSourceOptions, body: () => Promise<T>): Promise<T> {
    this.stop();
    this.trigger = bound;
    try {
      return await body();
    } finally {
      this.trigger = undefined;
      this.stop();
    }
  }

  /** The newest `addData` of the query's streams (`-1` when there is none). */
  private latestSeq(): number {
    return Math.max(-1, ...this.streams.flatMap((stream) => stream.chunks.map((chunk) => chunk.seq)));
  }

  /** Runs at most one batch (on `partition`); returns its outcome, or `undefined` if none was due. */
  async runOneBatch(partition = this.partitions[0]!): Promise<BatchOutcome | undefined> {
    const outcome = await this.runPartition(partition);
    if (outcome !== undefined) {
      this.record([outcome]);
      this.lastRun = partition;
    }
    return outcome;
  }

  /** The checkpoint store of one partition (a source partition, or an exchange partition of stage 2). */
  checkpointsOf(partition: string): MemoryCheckpointStore {
    const run = this.stageOneRuns.get(partition);
    if (run !== undefined) {
      let table = this.stageOneTables.get(run.stage.query.name);
      if (table === undefined) {
        table = new MemoryCheckpointTable();
        this.stageOneTables.set(run.stage.query.name, table);
      }
      return table.partition(run.partition);
    }
    return this.isExchangePartition(partition)
      ? this.exchangeCheckpointTable.partition(partition)
      : this.checkpointTable.partition(partition);
  }

  /** Output rows of the batches run by the last `processAllAvailable` / `runOneBatch` (the query's, not stage 1's). */
  lastOutput(): Row[] {
    return this.outcomes.filter((o) => this.isFinal(o.progress.partition)).flatMap((o) => [...o.output]);
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
   * Restarts the query as a new run: Spark's StopStream + StartStream (a new `runId`), on Lambda a
   * deployment of new code (`SLUICE_RUN_ID` changes). Each input's watermark restarts from new
   * data and only the global watermark carries over, as Spark's `WatermarkTracker` after a restart
   * (see {@link restart} for the other arguments).
   */
  newRun(query: QueryDefinition = this.query): this {
    this.restart(query);
    this.runNumber++;
    return this;
  }

  /**
   * Starts new executions from the same checkpoints and state, optionally with a changed query.
   * With the changelog store, the new executions also get a new store (a cold container).
   */
  restart(query: QueryDefinition = this.query): this {
    this.query = query;
    this.staged = planStages(query);
    this.layStageOnes();
    if ((this.staged.exchange === undefined) !== (this.transport === undefined)) {
      throw new Error(
        'restart: a query cannot gain or lose its exchange across a restart; start a new StreamTest.',
      );
    }
    this.executions.clear();
    if (this.stateObjects !== undefined) this.stateStore = this.newStateStore();
    return this;
  }

  /**
   * Re-runs the last committed batch through the recovery path (its WAL entry becomes pending
   * again, a fresh execution replays it) and returns what the replay wrote.
   */
  async replayLastBatch(): Promise<BatchOutcome> {
    const partition = this.lastRun ?? this.lastPartition;
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
      this.lastRun = undefined;
      this.progress.push(outcome.progress);
      this.rejected.push(...outcome.rejected);
      this.deadLetters.push(...outcome.deadLetters);
      this.droppedRows.push(...outcome.droppedRows);
    }
  }

  /** One batch on a partition; a closed exchange partition with nothing left to run is finished. */
  private async runPartition(partition: string): Promise<BatchOutcome | undefined> {
    const outcome = await this.running(partition).runNextBatch();
    if (outcome === undefined && this.isExchangePartition(partition)) {
      const closed = (await this.transport!.partitions()).get(partition)?.closed === true;
      if (closed && !this.finishedExchange.has(partition)) {
        this.finishedExchange.add(partition);
        this.childrenMayStart = true;
      }
    }
    return outcome;
  }

  private running(partition: string): StreamExecution {
    let execution = this.executions.get(partition);
    const one = this.stageOneRuns.get(partition);
    if (execution === undefined && one !== undefined) {
      execution = this.stageOneExecution(partition, one.stage, one.partition);
      this.executions.set(partition, execution);
    }
    if (execution === undefined) {
      const stage = this.stageOf(partition);
      const exchange = this.staged.exchange;
      const transport = this.transport;
      const stage2 = this.isExchangePartition(partition) && transport !== undefined && exchange !== undefined;
      execution = new StreamExecution({
        query: stage.query,
        source: stage2
          ? new ExchangeReader(
              transport,
              this.staged.exchanges.map((input) => input.name),
              partition,
            )
          : new MemoryBatchSource(this.streams, partition, this.trigger),
        ...(stage2
          ? {
              // After a split or merge, a child takes over what its parents left (as on Lambda).
              adopt: async () =>
                (
                  await adoptExchangePartition({
                    query: stage.query,
                    plan: compileQuery(stage.query),
                    spec: exchange,
                    partition,
                    partitions: await transport.partitions(),
                    stateStore: this.stateStore,
                    checkpointsOf: (id) => this.checkpointsOf(id),
                    finishPending: async (ancestor) => {
                      await this.running(ancestor).runNextBatch();
                    },
                  })
                )?.committed,
            }
          : {}),
        stateStore: this.stateStore,
        checkpoints: this.checkpointsOf(partition),
        sink:
          this.isFinal(partition) || this.transport === undefined || exchange === undefined
            ? this.boundSink(partition)
            : new ExchangeWriter({ spec: exchange, transport: this.transport, origin: partition }),
        clock: this.clock,
        partition,
        runId: `run-${this.runNumber}`,
        poisonIsolation: false,
        ...this.options.execution,
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

  /** One stage 1 of several (a join side, a union input) on one source partition. */
  private stageOneExecution(id: string, stage: Stage, partition: string): StreamExecution {
    const sources = stage.sources ?? [];
    return new StreamExecution({
      query: stage.query,
      source: new MemoryBatchSource(
        this.streams.filter((stream) => sources.includes(stream.name)),
        partition,
        this.trigger,
      ),
      stateStore: this.stateStore,
      checkpoints: this.checkpointsOf(id),
      sink: new ExchangeWriter({ spec: stage.exchange!, transport: this.transport!, origin: id }),
      clock: this.clock,
      partition,
      poisonIsolation: false,
      ...this.options.execution,
      hook: (phase) => {
        if (this.crashPhase === phase) {
          this.crashPhase = undefined;
          this.executions.delete(id);
          throw new SimulatedCrash(phase);
        }
      },
    });
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

/** How many ancestors a partition has on its longest line (parents run before children). */
function depthOf(lineage: StreamShards, id: string): number {
  const parents = lineage.get(id)?.parents ?? [];
  return parents.length === 0 ? 0 : 1 + Math.max(...parents.map((parent) => depthOf(lineage, parent)));
}
