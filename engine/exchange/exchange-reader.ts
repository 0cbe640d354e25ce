import type { Offsets } from '../checkpoint/checkpoint-store.js';
import type { HashRange } from '../reshard/lineage.js';
import type { BatchInput } from '../runtime/dead-letter.js';
import type { BatchSource } from '../runtime/stream-execution.js';
import type { Row } from '../types.js';
import { type Applied, cutBatch, type ExchangeView } from './cut-batch.js';
import type { ExchangeTransport, PositionedRecord } from './exchange-record.js';
import { type ExchangePosition, isAfterPosition } from './positions.js';

/**
 * A closed ancestor partition's records this partition still has to consider (after a split or
 * merge of the internal stream): its rows in this partition's hash range after `from` may wait for
 * a marker, and its markers after `pos` were never applied by the ancestor.
 */
export interface ExchangeTail {
  readonly partition: string;
  /** Rows after here may still wait for their marker (absent: from the oldest record). */
  readonly from?: ExchangePosition;
  /** Markers after here were not applied by the ancestor (absent: none was). */
  readonly pos?: ExchangePosition;
}

/**
 * An inherited hash range and, per origin, the last batch its earlier owner (a parent) applied
 * for it: rows of that range from that batch or an earlier one are duplicates here. Bounds are
 * decimal strings (checkpoints are JSON).
 */
export interface AppliedFloor {
  readonly start: string;
  readonly end: string;
  readonly applied: Applied;
}

/**
 * Stage 2's position in one internal partition, stored as its offsets (so in its WAL entry and
 * commit: what stage 2 must remember between batches is in its checkpoint).
 */
export interface ExchangeOffset {
  /** Everything up to here has been read (absent: nothing yet). */
  readonly pos?: ExchangePosition;
  /**
   * Records after here may belong to origin batches whose marker has not been applied yet (absent:
   * from the oldest record).
   */
  readonly from?: ExchangePosition;
  /** Per origin, the last batch whose marker was applied: later copies of it are duplicates. */
  readonly applied: Applied;
  /** Closed ancestors' records still to consider (set by adoption after a reshard, dropped once consumed). */
  readonly tails?: readonly ExchangeTail[];
  /** Inherited per-range applied batches above `applied` (set by adoption, dropped once `applied` passes them). */
  readonly floors?: readonly AppliedFloor[];
}

const START: ExchangeOffset = { applied: {} };

/** Hash ranges of the partitions, per transport (one listing per container on Lambda). */
const RANGES = new WeakMap<ExchangeTransport, Map<string, HashRange>>();

/**
 * Stage 2's source over one internal partition (protocol step 3): a batch ends at an end-of-batch
 * marker and applies every origin batch whose marker it contains, once (`cutBatch`). After a
 * reshard of the internal stream the partition also reads its closed ancestors' tails (records of
 * its hash range they left waiting), before its own records: Kinesis orders a parent's records
 * before its children's, so at a marker every record of its origin batch for this range is in
 * the view. The same (start, end) offsets give the same rows, so replays are exact.
 *
 * Reading several inputs (a join's sides, a union's inputs, each written by its own stage 1), a
 * record's rows go to the source its `input` names, and each input's markers give that input's
 * event time (`sourceEventTimesMs`), so each keeps its own watermark. The offsets are kept under
 * the first name: one internal partition has one position.
 */
export class ExchangeReader implements BatchSource {
  /** The first input's name: stage 2's offsets are kept under it. */
  private readonly name: string;
  private readonly inputs: readonly string[];

  constructor(
    private readonly transport: ExchangeTransport,
    /** The exchange's name(s): the source name(s) stage 2's plan reads. */
    names: string | readonly string[],
    /** The internal partition (a shard id on Kinesis). */
    private readonly partition: string,
  ) {
    this.inputs = typeof names === 'string' ? [names] : names;
    if (this.inputs.length === 0) throw new RangeError('An exchange reader needs at least one input.');
    this.name = this.inputs[0]!;
  }

  async nextEndOffsets(committed: Offsets): Promise<Offsets | undefined> {
    const start = offsetOf(committed, this.name);
    const view = await this.view(start, { tip: true });
    const cut = cutBatch(start, view, { id: this.partition, range: await this.hashRange() });
    return cut === undefined ? undefined : { [this.name]: cut.end };
  }

  async getBatch(startOffsets: Offsets, endOffsets: Offsets): Promise<BatchInput> {
    const start = offsetOf(startOffsets, this.name);
    const end = offsetOf(endOffsets, this.name);
    // Own records up to the batch's end only (none if it took no marker of its own).
    const view = await this.view(start, { upTo: end.pos });
    const cut = cutBatch(start, view, { id: this.partition, range: await this.hashRange() });
    if (this.inputs.length === 1) {
      // One input: its markers' event time counts at every withWatermark (records are untagged).
      const rows: Row[] = cut?.rows ?? [];
      return {
        rows: new Map([[this.name, rows]]),
        deadLetters: [],
        ...(cut?.eventTimeMs === undefined ? {} : { eventTimeMs: cut.eventTimeMs }),
      };
    }
    const rows = new Map<string, Row[]>(this.inputs.map((input) => [input, []]));
    const eventTimes = new Map<string, number>();
    for (const [input, part] of cut?.byInput ?? []) {
      const name = input === '' ? this.name : input;
      rows.get(name)?.push(...part.rows);
      if (part.eventTimeMs !== undefined) eventTimes.set(name, part.eventTimeMs);
    }
    return {
      rows,
      deadLetters: [],
      ...(eventTimes.size === 0 ? {} : { sourceEventTimesMs: eventTimes }),
    };
  }

  /** The records a batch is cut from: the ancestors' tails whole (they are closed), then its own. */
  private async view(
    start: ExchangeOffset,
    own: { readonly tip: true } | { readonly upTo: ExchangePosition | undefined },
  ): Promise<ExchangeView> {
    const tails: Array<ExchangeView['tails'][number]> = [];
    if ((start.tails ?? []).length > 0) {
      const range = await this.hashRange();
      for (const tail of start.tails!) {
        tails.push({ tail, records: await this.transport.read(tail.partition, tail.from), range });
      }
    }
    // A trimmed start loses nothing when no row was waiting there (a partition quiet for longer
    // than the retention); rows waiting past the retention are a gap (SLUICE_EXCHANGE_GAP).
    const tolerateTrim = start.from === start.pos;
    const records: PositionedRecord[] =
      'tip' in own
        ? await this.transport.read(this.partition, start.from, undefined, { tolerateTrim })
        : own.upTo === undefined
          ? []
          : await this.transport.read(this.partition, start.from, own.upTo, { tolerateTrim });
    return { tails, own: records.filter((r) => isAfterPosition(r.position, start.from)) };
  }

  /** The partition's hash range: listed once per transport (a shard's range never changes). */
  private async hashRange(): Promise<HashRange> {
    const known = RANGES.get(this.transport) ?? new Map<string, HashRange>();
    RANGES.set(this.transport, known);
    let range = known.get(this.partition);
    if (range === undefined) {
      const partitions = await this.transport.partitions();
      for (const [id, lineage] of partitions) known.set(id, lineage.hashRange);
      range = known.get(this.partition);
      if (range === undefined) throw new RangeError(`The exchange has no partition ${this.partition}.`);
    }
    return range;
  }
}

function offsetOf(offsets: Offsets, name: string): ExchangeOffset {
  const value = offsets[name] as ExchangeOffset | undefined;
  return value ?? START;
}
