import {
  exchangeOrigin,
  finalStage,
  type Stage,
  type StagedQuery,
  stageOnes,
} from '../plan/exchange/plan-stages.js';

/**
 * One execution the test kit runs: a stage on one of its partitions. A one-stage query runs on
 * the source partitions; a two-stage query runs each stage 1 on every source partition (its run
 * id is the partition with one stage 1, else its exchange origin `<stage-1 name>/<partition>`)
 * and stage 2 on the exchange partitions (`exchange-0`, …).
 */
export interface StageRun {
  /** What `runOneBatch`, `checkpointsOf` and progress-independent bookkeeping take. */
  readonly id: string;
  /** The execution's partition (its checkpoint partition and state namespace suffix). */
  readonly partition: string;
  readonly stage: Stage;
  /** Whether its output is the query's (stage 2, or the query itself). */
  readonly final: boolean;
  /** Stage 2: the exchange partition it reads. */
  readonly exchangePartition?: number;
  /** Stage 1 of a two-stage query: the origin its exchange records carry. */
  readonly origin?: string;
  /** The checkpoint table it belongs to: `''` for the query's (or the only stage 1's), else the stage's name. */
  readonly table: string;
}

/** Every run of a staged query, stage 1s before stage 2. */
export function stageRuns(
  staged: StagedQuery,
  partitions: readonly string[],
  exchangeIds: readonly string[],
): StageRun[] {
  const ones = stageOnes(staged);
  if (ones.length === 0) {
    return partitions.map((partition) => ({
      id: partition,
      partition,
      stage: staged.stages[0]!,
      final: true,
      table: '',
    }));
  }
  const several = ones.length > 1;
  const runs: StageRun[] = [];
  for (const stage of ones) {
    for (const partition of partitions) {
      const origin = exchangeOrigin(staged, stage, partition);
      runs.push({
        id: several ? origin : partition,
        partition,
        stage,
        final: false,
        origin,
        table: several ? stage.query.name : '',
      });
    }
  }
  exchangeIds.forEach((id, index) => {
    runs.push({
      id,
      partition: id,
      stage: finalStage(staged),
      final: true,
      exchangePartition: index,
      table: 'exchange',
    });
  });
  return runs;
}
