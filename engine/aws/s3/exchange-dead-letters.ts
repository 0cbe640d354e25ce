import type { Sink, SinkBatchContext } from '../../sinks/sink.js';
import type { BatchId, OutputMode, Row } from '../../types.js';
import { writeDeadLettersAndManifest } from './batch-manifest-writer.js';
import { QueryObjects, type S3OutputLocation } from './s3-objects.js';

/** Options of {@link ExchangeDeadLetterSink}. */
export interface ExchangeDeadLetterSinkOptions extends S3OutputLocation {
  /** The stage-1 sink: the exchange writer of this shard. */
  readonly inner: Sink;
  /** The source shard (stage-1 partition). */
  readonly shard: string;
  readonly outputMode: OutputMode;
}

/**
 * Stage 1 of a two-stage query hands its rows to the exchange, not to S3, so nothing else would
 * keep the records it sets aside (undecodable or invalid records, poison rows, rows too large for
 * an exchange record). This sink wraps the exchange writer and, after the writer returned (every
 * record and marker acknowledged), writes the batch's dead letters under the stage's own root
 * (`PREFIX/<query>.stage-1/`, where its checkpoints and progress already are):
 * ```
 * addBatch(batchId, rows, {deadLetters}):
 *   inner.addBatch(batchId, rows)                 // the exchange: rows, then markers
 *   if deadLetters: _dead/<batchId:020>-<shard>.jsonl, then _manifest/<batchId:020>.json
 *                   (sink 'exchange', no files; totalRows = rows handed to the exchange)
 * ```
 * A batch without dead letters writes nothing to S3 (no manifest: readers only look for dead
 * letters there). Keys and bytes depend only on the batch, so a replay rewrites the same objects;
 * the commit follows, so `sluice dead-letters` (which trusts manifests) sees them once committed
 * (or, as with any sink, a crashed batch's identical objects before its replay commits).
 */
export class ExchangeDeadLetterSink implements Sink {
  readonly description: string;
  private readonly objects: QueryObjects;

  constructor(private readonly options: ExchangeDeadLetterSinkOptions) {
    this.description = options.inner.description;
    this.objects = QueryObjects.at(options);
  }

  check(batchId: BatchId, rows: readonly Row[], context: SinkBatchContext): void | Promise<void> {
    return this.options.inner.check?.(batchId, rows, context);
  }

  async addBatch(batchId: BatchId, rows: readonly Row[], context: SinkBatchContext): Promise<void> {
    await this.options.inner.addBatch(batchId, rows, context);
    if (context.deadLetters.length === 0) return;
    await writeDeadLettersAndManifest(
      this.objects,
      {
        query: this.options.query,
        batchId,
        shard: this.options.shard,
        outputMode: this.options.outputMode,
        sink: 'exchange',
        format: null,
        partitionBy: [],
        keyColumns: null,
        columns: [],
        files: [],
        objects: [],
        totalRows: rows.length,
      },
      context.deadLetters,
    );
  }
}
