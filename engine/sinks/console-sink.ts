import type { BatchId, Row } from '../types.js';
import type { Sink } from './sink.js';

/** Prints each batch as a table, like Spark's console sink. */
export class ConsoleSink implements Sink {
  readonly description = 'ConsoleSink';

  constructor(private readonly write: (text: string) => void = (text) => process.stdout.write(text)) {}

  async addBatch(batchId: BatchId, rows: readonly Row[]): Promise<void> {
    const header = `-------------------------------------------\nBatch: ${batchId}\n-------------------------------------------\n`;
    const body = rows.map((row) => JSON.stringify(row)).join('\n');
    this.write(`${header}${body}${rows.length > 0 ? '\n' : ''}`);
  }
}
