import type { DeadLetter } from '../../runtime/dead-letter.js';
import { encodeDeadLetters } from './dead-letter-format.js';
import { deadLetterKey, manifestKey, S3_LAYOUT } from './layout.js';
import { type BatchManifest, serializeManifest } from './manifest.js';
import type { QueryObjects } from './s3-objects.js';

/** Content types of the objects sluice writes. */
export const CONTENT_TYPES = {
  jsonl: 'application/x-ndjson',
  parquet: 'application/vnd.apache.parquet',
  json: 'application/json',
} as const;

/** A manifest before the dead letters are known to it. */
export type ManifestDraft = Omit<BatchManifest, 'formatVersion' | 'deadLetters'>;

/**
 * Ends a batch's `addBatch` after its data objects are in place: the dead-letter object (when
 * there are dead letters), then the manifest, which makes the batch visible to readers. Both
 * keys and bytes depend only on the batch, so a replay overwrites them with the same content.
 */
export async function writeDeadLettersAndManifest(
  objects: QueryObjects,
  draft: ManifestDraft,
  deadLetters: readonly DeadLetter[],
): Promise<BatchManifest> {
  let deadLetterObject: BatchManifest['deadLetters'] = null;
  if (deadLetters.length > 0) {
    const key = deadLetterKey(draft.batchId, draft.shard);
    await objects.put(key, encodeDeadLetters(draft.batchId, draft.shard, deadLetters), CONTENT_TYPES.jsonl);
    deadLetterObject = { key, count: deadLetters.length };
  }
  const manifest: BatchManifest = {
    formatVersion: S3_LAYOUT.formatVersion,
    ...draft,
    deadLetters: deadLetterObject,
  };
  await objects.put(manifestKey(draft.batchId), serializeManifest(manifest), CONTENT_TYPES.json);
  return manifest;
}
