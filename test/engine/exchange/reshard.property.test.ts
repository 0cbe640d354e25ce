/**
 * Property-based tests of two-stage queries while the exchange is resharded (issue 11): random rows
 * keyed by user on three source partitions, and random schedules of stage-1 batches (crashes
 * included), stage-2 runs (crashes included, Lambda's order: a child partition only after its
 * parents finished), splits and merges of the exchange's partitions at batch boundaries and
 * between a stage-1 batch's rows and its markers (with or without a crash there, so the replay
 * re-puts the rows into the children). Whatever the schedule, the result equals the reference
 * computed over all input.
 *
 * Rerun a failure with `FC_SEED=<seed> FC_PATH=<path> npx vitest run test/engine/exchange/reshard.property.test.ts`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ExchangeTransport, MarkerRecord, RowsRecord } from '../../../engine/exchange/index.js';
import { MemoryExchange } from '../../../engine/exchange/index.js';
import { type BatchPhase, count, type QueryDefinition, type Row, sum } from '../../../engine/index.js';
import { MemoryStream, SimulatedCrash, StreamTest } from '../../../engine/testkit/index.js';

const NUM_RUNS = Number(process.env.FC_NUM_RUNS ?? 120);
const options = (): fc.Parameters<unknown> => ({
  numRuns: NUM_RUNS,
  ...(process.env.FC_SEED === undefined ? {} : { seed: Number(process.env.FC_SEED) }),
  ...(process.env.FC_PATH === undefined ? {} : { path: process.env.FC_PATH }),
});

const SOURCES = ['s0', 's1', 's2'];
const USERS = ['u0', 'u1', 'u2', 'u3', 'u4', 'u5'];
const sourceOf = (user: string) => SOURCES[USERS.indexOf(user) % SOURCES.length]!;
const PHASES: readonly BatchPhase[] = ['walCommit', 'getBatch', 'addBatch', 'commitState', 'commitOffsets'];
const MAX_OPEN = 5;
/** The in-memory store, or the S3 changelog store's engine over in-memory objects (versioned commits). */
const STATE = fc.constantFrom('memory' as const, 'changelog' as const);

interface Click {
  user: string;
  campaign: string;
  id: string;
  cost: number;
}

/** A split (or a merge when `merge`) of the open partition(s) picked by `pick`. */
interface Reshard {
  readonly merge: boolean;
  readonly pick: number;
}

type Step =
  | { readonly kind: 'add'; readonly rows: readonly Click[] }
  /** `retry`: a crashed batch is retried at once (else on the source's next run, after whatever comes between). */
  | { readonly kind: 'stage1'; readonly source: number; readonly crash?: BatchPhase; readonly retry: boolean }
  | { readonly kind: 'stage2'; readonly crash?: BatchPhase }
  /** One batch of one runnable stage-2 partition (so partitions fall behind one another). */
  | { readonly kind: 'stage2one'; readonly pick: number; readonly crash?: BatchPhase }
  | { readonly kind: 'reshard'; readonly reshard: Reshard }
  /**
   * The next stage-1 batch's markers find the exchange resharded after its rows, once `copies` open
   * partitions got theirs (copy by copy, as on Kinesis); `crash`: it dies there, else it puts a copy
   * to every open partition again (as KinesisExchange does when a copy lands in another shard).
   */
  | {
      readonly kind: 'reshardBeforeMarker';
      readonly reshard: Reshard;
      readonly copies: number;
      readonly crash: boolean;
    };

const reshardArbitrary = fc.record({ merge: fc.boolean(), pick: fc.nat({ max: 20 }) });
const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('add' as const),
      rows: fc.array(
        fc.record({
          user: fc.constantFrom(...USERS),
          campaign: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'),
          id: fc.constantFrom('i0', 'i1', 'i2', 'i3', 'i4', 'i5', 'i6', 'i7', 'i8', 'i9'),
          cost: fc.integer({ min: 1, max: 9 }),
        }),
        { minLength: 1, maxLength: 6 },
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('stage1' as const),
      source: fc.nat({ max: SOURCES.length - 1 }),
      crash: fc.option(fc.constantFrom(...PHASES), { nil: undefined, freq: 3 }),
      retry: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('stage2one' as const),
      pick: fc.nat({ max: 20 }),
      crash: fc.option(fc.constantFrom(...PHASES), { nil: undefined, freq: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('stage2' as const),
      crash: fc.option(fc.constantFrom(...PHASES), { nil: undefined, freq: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reshard' as const), reshard: reshardArbitrary }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('reshardBeforeMarker' as const),
      reshard: reshardArbitrary,
      copies: fc.nat({ max: 3 }),
      crash: fc.boolean(),
    }),
  },
);

/** The in-memory exchange, with a hook that runs inside the next marker put (after the batch's rows landed). */
class HookedExchange implements ExchangeTransport {
  beforeMarker: (() => void) | undefined;
  /** How many open partitions get their copy of the marker before the hook runs. */
  copiesBefore = 0;
  constructor(readonly memory: MemoryExchange) {}
  get maxRecordBytes() {
    return this.memory.maxRecordBytes;
  }
  put(records: readonly RowsRecord[]) {
    return this.memory.put(records);
  }
  async putMarker(marker: MarkerRecord) {
    const hook = this.beforeMarker;
    this.beforeMarker = undefined;
    if (hook !== undefined) {
      for (const partition of this.memory.openPartitions().slice(0, this.copiesBefore))
        this.memory.putMarkerTo(partition, marker);
      hook();
    }
    return this.memory.putMarker(marker);
  }
  read(...args: Parameters<MemoryExchange['read']>) {
    return this.memory.read(...args);
  }
  partitions() {
    return this.memory.partitions();
  }
}

function reshard(memory: MemoryExchange, { merge, pick }: Reshard): void {
  const open = memory.openPartitions();
  if ((merge && open.length > 1) || open.length >= MAX_OPEN) {
    const i = pick % (open.length - 1);
    memory.merge(open[i]!, open[i + 1]!);
  } else {
    memory.split(open[pick % open.length]!);
  }
}

/** Runs a step that may crash (then retries once, as Lambda redelivers); other errors fail the test. */
async function survive(test: StreamTest, body: () => Promise<unknown>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await body();
      break;
    } catch (error) {
      if (!(error instanceof SimulatedCrash) || attempt > 3) throw error;
      test.crashAfter(undefined);
      test.stop();
    }
  }
  test.crashAfter(undefined);
}

async function run(
  makeQuery: (clicks: MemoryStream<Click>) => QueryDefinition,
  steps: readonly Step[],
  state: 'memory' | 'changelog',
) {
  const clicks = new MemoryStream<Click>('clicks');
  const memory = new MemoryExchange(2);
  const exchange = new HookedExchange(memory);
  const test = new StreamTest(makeQuery(clicks), [clicks], {
    partitions: SOURCES,
    exchangeTransport: exchange,
    state,
  });
  for (const step of steps) {
    switch (step.kind) {
      case 'add':
        for (const source of SOURCES) {
          const mine = step.rows.filter((row) => sourceOf(row.user) === source);
          if (mine.length > 0) clicks.addDataTo(source, ...mine);
        }
        break;
      case 'stage1':
        test.crashAfter(step.crash);
        if (step.retry) await survive(test, () => test.runOneBatch(SOURCES[step.source]!));
        else {
          await test.runOneBatch(SOURCES[step.source]!).catch((error: unknown) => {
            if (!(error instanceof SimulatedCrash)) throw error;
            test.stop();
          });
          test.crashAfter(undefined);
        }
        break;
      case 'stage2one': {
        const runnable = await test.exchangeRunnable();
        if (runnable.length === 0) break;
        const partition = runnable[step.pick % runnable.length]!;
        test.crashAfter(step.crash);
        await survive(test, () => test.runOneBatch(partition));
        break;
      }
      case 'stage2':
        // Stage 2 only (the sources have no new batch unless rows were added since their last run).
        test.crashAfter(step.crash);
        await survive(test, () => test.processAllAvailable());
        break;
      case 'reshard':
        reshard(memory, step.reshard);
        break;
      case 'reshardBeforeMarker':
        exchange.copiesBefore = step.copies;
        exchange.beforeMarker = () => {
          reshard(memory, step.reshard);
          if (step.crash) throw new SimulatedCrash('addBatch');
        };
        break;
    }
  }
  exchange.beforeMarker = undefined;
  await test.processAllAvailable();
  return { test, memory };
}

const sent = (steps: readonly Step[]) => steps.flatMap((step) => (step.kind === 'add' ? step.rows : []));

describe('two-stage queries while the exchange is split and merged: any schedule gives the reference result', () => {
  it('count and sum per campaign of events keyed by user (update mode, partial aggregation)', async () => {
    const query = (clicks: MemoryStream<Click>) =>
      clicks
        .toStream({ partitionKey: 'user' })
        .groupBy('campaign')
        .agg({ n: count(), cost: sum('cost') })
        .writeStream.queryName('per-campaign')
        .outputMode('update')
        .build();
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArbitrary, { minLength: 1, maxLength: 40 }),
        STATE,
        async (steps, state) => {
          const { test } = await run(query, steps, state);
          const expected = new Map<string, { n: number; cost: number }>();
          for (const click of sent(steps)) {
            const before = expected.get(click.campaign) ?? { n: 0, cost: 0 };
            expected.set(click.campaign, { n: before.n + 1, cost: before.cost + click.cost });
          }
          const table = test.sink.latestByKey((row: Row) => String(row.campaign));
          expect(new Map(table.map((row) => [row.campaign, { n: row.n, cost: row.cost }]))).toEqual(expected);
        },
      ),
      options(),
    );
  });

  it('dedup by an id that is not the partition key (append mode): each id exactly once', async () => {
    const query = (clicks: MemoryStream<Click>) =>
      clicks
        .toStream({ partitionKey: 'user' })
        .dropDuplicates(['id'])
        .writeStream.queryName('unique-clicks')
        .outputMode('append')
        .build();
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArbitrary, { minLength: 1, maxLength: 40 }),
        STATE,
        async (steps, state) => {
          const { test } = await run(query, steps, state);
          const ids = test.allOutput().map((row) => row.id as string);
          expect([...ids].sort()).toEqual([...new Set(sent(steps).map((click) => click.id))].sort());
        },
      ),
      options(),
    );
  });

  it("a split between a batch's rows and its markers: the rows wait in the closed parent, the children apply them", async () => {
    const clicks = new MemoryStream<Click>('clicks');
    const memory = new MemoryExchange(1);
    const exchange = new HookedExchange(memory);
    const query = clicks
      .toStream({ partitionKey: 'user' })
      .groupBy('campaign')
      .agg({ n: count() })
      .writeStream.queryName('per-campaign')
      .outputMode('update')
      .build();
    const test = new StreamTest(query, [clicks], { partitions: ['s0'], exchangeTransport: exchange });
    const campaigns = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    clicks.addDataTo(
      's0',
      ...campaigns.map((campaign, i) => ({ user: 'u0', campaign, id: `i${i}`, cost: 1 })),
    );
    exchange.copiesBefore = 0;
    exchange.beforeMarker = () => {
      memory.split('exchange-0');
    };
    await test.runOneBatch('s0');
    // The rows are in the parent, which got no marker; each child got one.
    expect(memory.records('exchange-0').map((r) => r.kind)).not.toContain('marker');
    expect(memory.records('exchange-1').map((r) => r.kind)).toEqual(['marker']);
    expect(memory.records('exchange-2').map((r) => r.kind)).toEqual(['marker']);
    await test.processAllAvailable();
    const table = test.sink.latestByKey((row: Row) => String(row.campaign));
    expect(Object.fromEntries(table.map((row) => [row.campaign, row.n]))).toEqual(
      Object.fromEntries(campaigns.map((campaign) => [campaign, 1])),
    );
    // Each child applied only its range's campaigns, together all of them once.
    const byChild = ['exchange-1', 'exchange-2'].map((child) =>
      test.progress.filter((p) => p.partition === child).reduce((n, p) => n + p.numInputRows, 0),
    );
    expect(byChild[0]! + byChild[1]!).toBe(campaigns.length);
    expect(byChild.every((n) => n > 0)).toBe(true);
  });
});
