import type { DeadLetter } from '../../runtime/dead-letter.js';
import type { BatchId, Row } from '../../types.js';
import { jsonReplacer } from './jsonl-format.js';

/** A dead letter as stored: the engine's {@link DeadLetter} plus the batch and shard that set it aside. */
export interface StoredDeadLetter extends DeadLetter {
  readonly batchId: BatchId;
  readonly shard: string;
}

/**
 * `_dead/<batchId:020>-<shard>.jsonl`: one JSON object per dead letter, in the batch's order,
 * fields in this order and only when known: `batchId`, `shard`, `reason`, `source`, `position`
 * (the Kinesis sequence number), `partitionKey`, `data` (the original record bytes, base64),
 * `row` (the decoded row, when the failure came after decoding), `operator` (the operator or
 * sink that rejected the row). Each line stands alone, so the folder can be queried with Athena.
 */
export function encodeDeadLetters(
  batchId: BatchId,
  shard: string,
  deadLetters: readonly DeadLetter[],
): Uint8Array {
  let text = '';
  for (const letter of deadLetters) {
    const line: Record<string, unknown> = { batchId, shard, reason: letter.reason };
    if (letter.source !== undefined) line.source = letter.source;
    if (letter.position !== undefined) line.position = letter.position;
    if (letter.partitionKey !== undefined) line.partitionKey = letter.partitionKey;
    if (letter.data !== undefined) line.data = letter.data;
    if (letter.row !== undefined) line.row = letter.row;
    if (letter.operator !== undefined) line.operator = letter.operator;
    text += `${JSON.stringify(line, jsonReplacer)}\n`;
  }
  return new TextEncoder().encode(text);
}

/** Parses a dead-letter object. */
export function decodeDeadLetters(bytes: Uint8Array): StoredDeadLetter[] {
  return new TextDecoder()
    .decode(bytes)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as StoredDeadLetter & { row?: Row });
}
