import type { InvokeResult } from './function-pool.js';

/** How an invocation of a batch ended, from the mapping's point of view. */
export type BatchOutcome =
  | { readonly kind: 'success' }
  /** A function error (thrown, timed out, crashed, init failed) or a response Lambda reads as one. */
  | { readonly kind: 'error'; readonly reason: string }
  /** `batchItemFailures` named records: everything before `from` succeeded. */
  | { readonly kind: 'partial'; readonly from: string };

/**
 * Reads an invocation's result the way Lambda does for Kinesis:
 *
 * - a function error → `error` (retry the whole batch, bisecting if configured);
 * - without `ReportBatchItemFailures`, any response → `success`;
 * - `null`, `{}`, or an empty or null `batchItemFailures` → `success`;
 * - `batchItemFailures` with valid sequence numbers of the batch → `partial` from the lowest;
 * - anything else (not a list, an empty, null or unknown `itemIdentifier`) → `error`, as Lambda
 *   treats it as a complete failure.
 */
export function classifyResponse(
  result: InvokeResult,
  batch: readonly { readonly sequenceNumber: string }[],
  reportBatchItemFailures: boolean,
): BatchOutcome {
  if (!result.ok) {
    return { kind: 'error', reason: `${result.error?.errorType}: ${result.error?.errorMessage}` };
  }
  if (!reportBatchItemFailures) return { kind: 'success' };
  const value = result.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { kind: 'success' };
  const failures = (value as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'error', reason: 'batchItemFailures is not a list' };
  if (failures.length === 0) return { kind: 'success' };
  const inBatch = new Set(batch.map((record) => record.sequenceNumber));
  let lowest: bigint | undefined;
  let from = '';
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !inBatch.has(id)) {
      return {
        kind: 'error',
        reason: `batchItemFailures names ${JSON.stringify(id)}, not a record of the batch`,
      };
    }
    const sequence = BigInt(id);
    if (lowest === undefined || sequence < lowest) {
      lowest = sequence;
      from = id;
    }
  }
  return { kind: 'partial', from };
}
