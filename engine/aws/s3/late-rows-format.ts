import type { DroppedRow } from '../../runtime/operator.js';
import type { BatchId, Row } from '../../types.js';
import { jsonReplacer } from './jsonl-format.js';

/** A late row as stored: the row an operator dropped, with the batch, shard, operator and times. */
export interface StoredLateRow {
  readonly batchId: BatchId;
  readonly shard: string;
  /** The operator that dropped it, e.g. `aggregate-0` (ids as in progress records). */
  readonly operator: string;
  /** The time it was judged by: its window's end, its session's end, or its event time (epoch ms). */
  readonly eventTimeMs: number;
  /** The watermark it was judged against (epoch ms); `eventTimeMs ≤ watermarkMs`. */
  readonly watermarkMs: number;
  /** The row as the operator got it (after the query's maps and filters). */
  readonly row: Row;
}

/**
 * `_late/<batchId:020>-<shard>.jsonl`: one JSON object per row dropped by the watermark, in the
 * order the operators dropped them, fields in this order: `batchId`, `shard`, `operator`,
 * `eventTimeMs`, `watermarkMs`, `row` (as dead letters keep rows: times in epoch ms, binary in
 * base64, big integers as numbers or strings). A row late for several sliding windows appears once per window, as
 * `numLateInputRows` counts it. Same batch ⇒ same bytes, so a replay overwrites.
 */
export function encodeLateRows(batchId: BatchId, shard: string, dropped: readonly DroppedRow[]): Uint8Array {
  let text = '';
  for (const late of dropped) {
    const line = {
      batchId,
      shard,
      operator: late.operator,
      eventTimeMs: late.eventTimeMs,
      watermarkMs: late.watermarkMs,
      row: late.row,
    };
    text += `${JSON.stringify(line, jsonReplacer)}\n`;
  }
  return new TextEncoder().encode(text);
}

/** Parses a late-rows object. */
export function decodeLateRows(bytes: Uint8Array): StoredLateRow[] {
  return new TextDecoder()
    .decode(bytes)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as StoredLateRow);
}
