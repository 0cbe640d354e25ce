import type { Offsets } from '../checkpoint/checkpoint-store.js';
import type { BatchInput } from '../runtime/dead-letter.js';
import type { BatchSource } from '../runtime/stream-execution.js';
import type { Row } from '../types.js';
import type { Chunk, MemoryStream } from './memory-stream.js';

/** How a trigger bounds what a {@link MemoryBatchSource} offers. */
export interface MemoryBatchSourceOptions {
  /**
   * Offer only chunks added up to this `Chunk.seq` (Trigger.AvailableNow and Once: the data
   * available when the trigger started). @default no bound
   */
  readonly throughSeq?: number;
  /** Offer everything available as one batch instead of one batch per `addData` (Trigger.Once). @default false */
  readonly oneBatch?: boolean;
}

/**
 * Offsets are the number of chunks consumed per stream; each `addData` call is one batch. A source
 * reads the chunks of one partition (`addDataTo`; `addData` adds to partition `'0'`).
 */
export class MemoryBatchSource implements BatchSource {
  private readonly streams: ReadonlyMap<string, { readonly chunks: readonly Chunk[] }>;

  constructor(
    streams: readonly MemoryStream<any>[],
    partition = '0',
    private readonly options: MemoryBatchSourceOptions = {},
  ) {
    const bound = options.throughSeq ?? Number.POSITIVE_INFINITY;
    this.streams = new Map(
      streams.map((stream) => [
        stream.name,
        {
          get chunks() {
            return stream.chunks.filter(
              (chunk) => (chunk.partition ?? '0') === partition && chunk.seq <= bound,
            );
          },
        },
      ]),
    );
  }

  async nextEndOffsets(committed: Offsets): Promise<Offsets | undefined> {
    if (this.options.oneBatch) return this.allAvailable(committed);
    let nextSeq = Number.POSITIVE_INFINITY;
    for (const [name, stream] of this.streams) {
      const chunk = stream.chunks[consumed(committed, name)];
      if (chunk !== undefined && chunk.seq < nextSeq) nextSeq = chunk.seq;
    }
    if (nextSeq === Number.POSITIVE_INFINITY) return undefined;
    const end: Record<string, number> = {};
    for (const [name, stream] of this.streams) {
      const at = consumed(committed, name);
      end[name] = stream.chunks[at]?.seq === nextSeq ? at + 1 : at;
    }
    return end;
  }

  /** Every chunk after `committed`, as one batch; `undefined` when there is none. */
  private allAvailable(committed: Offsets): Offsets | undefined {
    const end: Record<string, number> = {};
    let any = false;
    for (const [name, stream] of this.streams) {
      end[name] = stream.chunks.length;
      if (stream.chunks.length > consumed(committed, name)) any = true;
    }
    return any ? end : undefined;
  }

  async getBatch(start: Offsets, end: Offsets): Promise<BatchInput> {
    const rows = new Map<string, readonly Row[]>();
    for (const [name, stream] of this.streams) {
      const chunks = stream.chunks.slice(consumed(start, name), consumed(end, name));
      rows.set(name, structuredClone(chunks.flatMap((chunk) => chunk.rows)));
    }
    return { rows, deadLetters: [] };
  }
}

function consumed(offsets: Offsets, name: string): number {
  const value = offsets[name];
  return typeof value === 'number' ? value : 0;
}
