import type { DeadLetter } from '../../runtime/dead-letter.js';
import type { DroppedRow } from '../../runtime/operator.js';
import { encodeDeadLetters } from './dead-letter-format.js';
import { encodeLateRows } from './late-rows-format.js';
import { deadLetterKey, lateRowsKey, manifestKey, S3_LAYOUT } from './layout.js';
import { type BatchManifest, serializeManifest } from './manifest.js';
import type { QueryObjects } from './s3-objects.js';

/** Content types of the objects sluice writes. */
export const CONTENT_TYPES = {
  jsonl: 'application/x-ndjson',
  parquet: 'application/vnd.apache.parquet',
  json: 'application/json',
} as const;

/** A manifest before the dead letters and late rows are known to it. */
export type ManifestDraft = Omit<BatchManifest, 'formatVersion' | 'deadLetters' | 'lateRows'>;

/**
 * Ends a batch's `addBatch` after its data objects are in place: the dead-letter object (when
 * there are dead letters), the late-rows object (when the query keeps late rows and some were
 * dropped), then the manifest, which makes the batch visible to readers. Keys and bytes depend
 * only on the batch, so a replay overwrites them with the same content, never adds a second copy.
 */
export async function writeDeadLettersAndManifest(
  objects: QueryObjects,
  draft: ManifestDraft,
  deadLetters: readonly DeadLetter[],
  lateRows: readonly DroppedRow[] = [],
): Promise<BatchManifest> {
  let deadLetterObject: BatchManifest['deadLetters'] = null;
  let lateRowsObject: BatchManifest['lateRows'] = null;
  const puts: Promise<void>[] = [];
  if (deadLetters.length > 0) {
    const key = deadLetterKey(draft.batchId, draft.shard);
    puts.push(
      objects.put(key, encodeDeadLetters(draft.batchId, draft.shard, deadLetters), CONTENT_TYPES.jsonl),
    );
    deadLetterObject = { key, count: deadLetters.length };
  }
  if (lateRows.length > 0) {
    const key = lateRowsKey(draft.batchId, draft.shard);
    puts.push(objects.put(key, encodeLateRows(draft.batchId, draft.shard, lateRows), CONTENT_TYPES.jsonl));
    lateRowsObject = { key, count: lateRows.length };
  }
  await Promise.all(puts);
  const manifest: BatchManifest = {
    formatVersion: S3_LAYOUT.formatVersion,
    ...draft,
    deadLetters: deadLetterObject,
    lateRows: lateRowsObject,
  };
  await objects.put(manifestKey(draft.batchId), serializeManifest(manifest), CONTENT_TYPES.json);
  return manifest;
}
