import { partitionKeyFromValue } from '../../plan/partition-column.js';
import { eventTimeOf, INVALID_EVENT_TIME } from '../../runtime/event-time.js';
import type {
  NoDataBatchQuery,
  OperatorContext,
  PhysicalOperator,
  StatefulOperator,
} from '../../runtime/operator.js';
import type { StateEntry } from '../../state/state-store.js';
import type { Row } from '../../types.js';
import { encodeKey } from '../aggregate/grouping.js';

/**
 * How a dedup operator places rows in event time, resolved from the plan when the query is
 * compiled (see `compile-dedup.ts`).
 */
export interface DedupSpec {
  /** Spark's operator name in progress: `dedupe` or `dedupeWithinWatermark`. */
  readonly operatorName: 'dedupe' | 'dedupeWithinWatermark';
  /** Columns forming the duplicate key; empty means the whole row. */
  readonly columns: readonly string[];
  /**
   * The watermarked column of the input, if any: rows whose time is ≤ the late-events watermark
   * are dropped before deduplication (Spark filters on the child's event-time column, whether or
   * not it is part of the key).
   */
  readonly timeColumn: string | undefined;
  /**
   * State for a key expires at the time of its first row + this delay (0 for `dropDuplicates`
   * keyed on event time, the watermark delay for `dropDuplicatesWithinWatermark`);
   * `undefined` keeps state forever.
   */
  readonly expiryDelayMs: number | undefined;
  /** The sources' partition-key column, if declared: stored as each key's value (see `partitionKeyOf`). */
  readonly partitionColumn?: string | undefined;
}

/** A row that passed the late filter, with its duplicate key and (if state expires) its expiry. */
interface Candidate {
  readonly row: Row;
  readonly key: string;
  readonly expiresAt: number | undefined;
}

/**
 * Streaming deduplication: Spark's `StreamingDeduplicateExec` (`dropDuplicates`) and
 * `StreamingDeduplicateWithinWatermarkExec` (`dropDuplicatesWithinWatermark`).
 *
 * Per batch: rows at or behind the late-events watermark are dropped and counted; the keys of the
 * others are read from state in one call; a row passes (unchanged, in input order) when its key is
 * neither in state nor taken by an earlier row of the batch, and its key is then stored. After the
 * batch, keys whose expiry ≤ the eviction watermark are removed. State values are `null`: the key
 * and its `expiresAt` are all the operator needs.
 */
export class DedupExec implements StatefulOperator {
  readonly operatorName: DedupSpec['operatorName'];

  constructor(
    private readonly child: PhysicalOperator,
    readonly operatorId: string,
    private readonly spec: DedupSpec,
  ) {
    this.operatorName = spec.operatorName;
  }

  partitionKeyOf(entry: StateEntry): string | undefined {
    return partitionKeyFromValue(entry.value);
  }

  /**
   * Spark's `shouldRunAnotherBatch` for dedup: whenever the watermark moves. Besides evicting,
   * the no-data batch advances the late-events watermark the next batch filters with.
   */
  needsNoDataBatch({ nextWatermarkMs, last }: NoDataBatchQuery): boolean {
    return nextWatermarkMs > last.watermarkForEvictionMs;
  }

  async execute(ctx: OperatorContext): Promise<Row[]> {
    const input = await this.child.execute(ctx);
    const candidates = this.dropLateRows(input, ctx);
    const state = ctx.state<unknown>(this.operatorId);
    await state.load(new Set(candidates.map((candidate) => candidate.key)));
    const output: Row[] = [];
    for (const { row, key, expiresAt } of candidates) {
      // A key written earlier in this batch is visible here too, so the first row wins.
      if (state.get(key) !== undefined) continue;
      // The value is the group's partition-key value, so a reshard can tell which shard owns it.
      state.set(
        key,
        this.spec.partitionColumn === undefined ? null : (row[this.spec.partitionColumn] ?? null),
        expiresAt,
      );
      output.push(row);
    }
    if (this.spec.expiryDelayMs !== undefined) {
      await state.evict(ctx.batch.watermarkForEvictionMs);
    }
    return output;
  }

  private dropLateRows(input: readonly Row[], ctx: OperatorContext): Candidate[] {
    const { timeColumn, expiryDelayMs } = this.spec;
    const candidates: Candidate[] = [];
    if (timeColumn === undefined) {
      for (const row of input) candidates.push({ row, key: this.keyOf(row), expiresAt: undefined });
      return candidates;
    }
    const late = ctx.lateBounds;
    const partitionColumn = this.spec.partitionColumn;
    const counters = ctx.counters(this.operatorId);
    for (const row of input) {
      const t = watermarkTimeOf(row[timeColumn]);
      if (t === undefined) {
        ctx.reject(row, this.operatorId, `${INVALID_EVENT_TIME} (column '${timeColumn}')`);
        continue;
      }
      const bound = late.of(partitionColumn === undefined ? undefined : row[partitionColumn]);
      if (t <= bound) {
        counters.numRowsDroppedByWatermark++;
        counters.numLateInputRows++;
        ctx.dropLate?.(row, this.operatorId, t, bound);
        continue;
      }
      const expiresAt = expiryDelayMs === undefined ? undefined : t + expiryDelayMs;
      candidates.push({ row, key: this.keyOf(row), expiresAt });
    }
    return candidates;
  }

  private keyOf(row: Row): string {
    const columns = this.spec.columns;
    if (columns.length > 0) return encodeKey(columns.map((column) => row[column]));
    return encodeKey(wholeRowEntries(row));
  }
}

/**
 * The time a watermark is compared with: the value itself, or a window's `end` (Spark compares
 * `window.end ≤ watermark`, so a window just closed by an upstream aggregation is not late).
 */
function watermarkTimeOf(value: unknown): number | undefined {
  const t = eventTimeOf(value);
  return t !== undefined && typeof value === 'object' ? t + 1 : t;
}

/**
 * A whole row as `[column, value]` pairs sorted by column, so rows with the same values are
 * duplicates whatever order their fields were written in. Undefined columns count as absent.
 */
function wholeRowEntries(row: Row): Array<[string, unknown]> {
  return Object.keys(row)
    .filter((column) => row[column] !== undefined)
    .sort()
    .map((column) => [column, row[column]]);
}
