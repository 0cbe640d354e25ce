import { DataStream, type ReadStreamOptions, readStream } from '../api/data-stream.js';
import type { Row } from '../types.js';

let nextChunkSeq = 0;

/** Rows added by one `addData` call. */
export interface Chunk {
  /** Global order of `addData` calls across all memory streams: one micro-batch each. */
  readonly seq: number;
  readonly rows: readonly Row[];
  /** The query partition (a Kinesis shard) the rows arrive on. @default '0' */
  readonly partition?: string;
}

/**
 * An input stream for tests, like Spark's `MemoryStream`: each `addData` call becomes one
 * micro-batch when the test processes available data.
 *
 * @example
 * const words = new MemoryStream<{ word: string; ts: number }>('words');
 * const query = words.toStream({ eventTime: 'ts' }).groupBy('word').count().writeStream.outputMode('update').build();
 */
export class MemoryStream<T extends object> {
  readonly chunks: Chunk[] = [];

  constructor(readonly name: string) {}

  /** The stream as a `DataStream`, to build queries on. */
  toStream(options: ReadStreamOptions<T> = {}): DataStream<T> {
    return readStream<T>(this.name, options);
  }

  /** Adds rows as one micro-batch. */
  addData(...rows: T[]): this {
    this.chunks.push({ seq: nextChunkSeq++, rows: structuredClone(rows) as Row[] });
    return this;
  }

  /**
   * Adds rows as one micro-batch of one partition (a Kinesis shard), for tests of queries that
   * run on several partitions: `new StreamTest(query, [stream], { partitions: ['a', 'b'] })`.
   */
  addDataTo(partition: string, ...rows: T[]): this {
    this.chunks.push({ seq: nextChunkSeq++, rows: structuredClone(rows) as Row[], partition });
    return this;
  }

  /** Adds rows to several streams as one micro-batch (Spark's `MultiAddData`). */
  static addDataTogether(...parts: Array<readonly [MemoryStream<any>, readonly Row[]]>): void {
    const seq = nextChunkSeq++;
    for (const [stream, rows] of parts) stream.chunks.push({ seq, rows: structuredClone(rows) });
  }
}

export { DataStream };
