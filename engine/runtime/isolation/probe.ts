import type { PlannedBatch } from '../../checkpoint/checkpoint-store.js';
import type { Sink } from '../../sinks/sink.js';
import type { Row } from '../../types.js';
import { type ExecuteDeps, executeBatch } from '../execute-batch.js';
import { ProbeIoError } from './errors.js';
import { mayBeDeterministic } from './failure-kind.js';

/** What a probe found: the batch's deterministic part passes, or fails with this error. */
export type ProbeResult = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/**
 * Runs everything of a batch that can fail deterministically, in memory, over `rows`: the
 * operators (state read as of the batch through `deps.stateStore`, which should be a
 * `ReadOnceStateStore`), the state limits, and the sink's `check`. Writes nothing. A failure that
 * cannot be deterministic (a state read that failed) is thrown, not returned: it says nothing
 * about the rows.
 */
export async function probeBatch(
  deps: ExecuteDeps,
  sink: Sink,
  batch: PlannedBatch,
  rows: ReadonlyMap<string, readonly Row[]>,
): Promise<ProbeResult> {
  try {
    const executed = await executeBatch({ ...deps, keepDroppedRows: false }, batch, rows);
    await sink.check?.(batch.batchId, executed.rows, { batch, deadLetters: [] });
    return { ok: true };
  } catch (error) {
    if (error instanceof ProbeIoError || !mayBeDeterministic(error)) throw error;
    return { ok: false, error };
  }
}
