import type { BatchInput, RecordOrigin } from '../../../../engine/runtime/dead-letter.js';

/** A batch input as plain data, its origins looked up for every row, so two inputs compare with `toEqual`. */
export async function viewOf(input: BatchInput | Promise<BatchInput>) {
  const batch = await input;
  const origins: Record<string, (RecordOrigin | undefined)[]> = {};
  for (const [source, rows] of batch.rows) {
    origins[source] = rows.map((_, index) => batch.originOf?.(source, index));
  }
  return { rows: batch.rows, deadLetters: batch.deadLetters, origins };
}
