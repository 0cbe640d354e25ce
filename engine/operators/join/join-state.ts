import type { StateView } from '../../state/state-view.js';
import type { Row } from '../../types.js';
import type { JoinSide, JoinSideSpec } from './join-sides.js';

/** One buffered input row and whether it has matched a row of the other side (Spark's state format v2). */
export interface StoredRow {
  readonly row: Row;
  readonly matched: boolean;
}

/**
 * The state of one side and one join key (format version 1):
 * - key: `L` or `R` (the side) followed by the JSON-encoded join key values, e.g. `L["ad-1"]`;
 * - value: `{ rows: [{ row, matched }] }`, the side's rows with that key in arrival order;
 * - `expiresAt`: the earliest watermark at which one of the rows can no longer match (absent
 *   when the side never expires), so one `expiring(watermark)` query finds every key to clean.
 * Both sides share the operator's one state namespace. Progress counts buffered rows, as Spark's
 * `SymmetricHashJoinStateManager` reports them (`numRowsTotal` = rows buffered, `numRowsUpdated` =
 * rows appended, `numRowsRemoved` = rows evicted), not state keys: see {@link JoinStateBuffer.counts}.
 */
export interface JoinStateValue {
  readonly rows: readonly StoredRow[];
}

/** The state key of a side's join key. */
export function stateKeyOf(side: JoinSide, joinKey: string): string {
  return (side === 'left' ? 'L' : 'R') + joinKey;
}

function sideOf(stateKey: string): JoinSide {
  return stateKey.startsWith('L') ? 'left' : 'right';
}

/** A buffered row during the batch; `matched` may flip to true. */
export interface WorkingRow {
  readonly row: Row;
  matched: boolean;
}

/**
 * The batch's working copy of the join state on top of a {@link StateView}: rows are appended
 * and marked matched here, then written back once per changed key. Values read from the store
 * are copied before anything changes, and values written are fresh objects, so stored state is
 * never mutated.
 */
export class JoinStateBuffer {
  private readonly lists = new Map<string, WorkingRow[]>();
  private readonly changed = new Set<string>();
  private appended = 0;
  private removed = 0;

  constructor(
    private readonly view: StateView<JoinStateValue>,
    private readonly specOf: (side: JoinSide) => JoinSideSpec,
  ) {}

  /** The buffered rows of a loaded state key, in arrival order. */
  rows(stateKey: string): WorkingRow[] {
    let list = this.lists.get(stateKey);
    if (list === undefined) {
      list = copyRows(this.view.get(stateKey)?.value.rows ?? []);
      this.lists.set(stateKey, list);
    }
    return list;
  }

  append(stateKey: string, row: Row, matched: boolean): void {
    this.rows(stateKey).push({ row, matched });
    this.changed.add(stateKey);
    this.appended++;
  }

  markMatched(stateKey: string, stored: WorkingRow): void {
    if (stored.matched) return;
    stored.matched = true;
    this.changed.add(stateKey);
  }

  /** Writes every changed key back to the view, with its expiry. */
  flush(): void {
    for (const key of this.changed) this.write(key, this.lists.get(key)!);
    this.changed.clear();
  }

  /**
   * Drops the rows that expire at `watermarkMs` from every key due (after {@link flush}, so this
   * batch's rows count too) and returns the unmatched ones of the outer side as null-padded
   * output rows, by (key expiry, key) and then arrival order. Matched rows leave silently.
   */
  async evict(watermarkMs: number): Promise<Row[]> {
    const output: Row[] = [];
    for (const [key, entry] of await this.view.expiring(watermarkMs)) {
      const spec = this.specOf(sideOf(key));
      const kept: WorkingRow[] = [];
      for (const stored of this.lists.get(key) ?? copyRows(entry.value.rows)) {
        const at = spec.evictAt(stored.row);
        if (at === undefined || at === null || at > watermarkMs) {
          kept.push(stored);
          continue;
        }
        this.removed++;
        if (spec.preserved && !stored.matched) output.push({ ...stored.row });
      }
      this.lists.set(key, kept);
      this.write(key, kept);
    }
    return output;
  }

  /** Rows appended and evicted this batch (Spark's numRowsUpdated / numRowsRemoved for a join). */
  counts(): { updated: number; removed: number; netAdded: number } {
    return { updated: this.appended, removed: this.removed, netAdded: this.appended - this.removed };
  }

  private write(key: string, rows: readonly WorkingRow[]): void {
    if (rows.length === 0) {
      this.view.delete(key);
      return;
    }
    const spec = this.specOf(sideOf(key));
    let expiresAt: number | undefined;
    if (spec.evicts) {
      for (const stored of rows) {
        const at = spec.evictAt(stored.row);
        if (at !== undefined && at !== null && (expiresAt === undefined || at < expiresAt)) expiresAt = at;
      }
    }
    const value: JoinStateValue = {
      rows: rows.map((stored) => ({ row: stored.row, matched: stored.matched })),
    };
    this.view.set(key, value, expiresAt);
  }
}

function copyRows(rows: readonly StoredRow[]): WorkingRow[] {
  return rows.map((stored) => ({ row: stored.row, matched: stored.matched }));
}
