import { describe, expect, it } from 'vitest';
import type { BatchOutcome } from '../../../local/runner/batch-response.js';
import { EVENT_ENVELOPE_BYTES } from '../../../local/runner/lambda-event.js';
import { type BatchSettings, type PendingRecord, ShardBatches } from '../../../local/runner/shard-batches.js';

const record = (
  i: number,
  options: { bytes?: number; arrivalMs?: number; readAtMs?: number } = {},
): PendingRecord => ({
  sequenceNumber: String(1000 + i),
  event: {} as PendingRecord['event'],
  payloadBytes: options.bytes ?? 100,
  arrivalMs: options.arrivalMs ?? 0,
  readAtMs: options.readAtMs ?? 0,
});
const records = (n: number, from = 0) => Array.from({ length: n }, (_, i) => record(from + i));
const seqs = (batch: readonly PendingRecord[]) => batch.map((r) => Number(r.sequenceNumber) - 1000);

const settings = (overrides: Partial<BatchSettings> = {}): BatchSettings => ({
  batchSize: 4,
  maxPayloadBytes: 6 * 1024 * 1024,
  maxRetryAttempts: 2,
  bisectBatchOnFunctionError: false,
  ...overrides,
});
const ok: BatchOutcome = { kind: 'success' };
const error: BatchOutcome = { kind: 'error', reason: 'boom' };
const partial = (i: number): BatchOutcome => ({ kind: 'partial', from: String(1000 + i) });

/** Runs batches until the buffer is empty; `outcome` decides each invocation. */
function drive(batches: ShardBatches, outcome: (batch: number[]) => BatchOutcome) {
  const invoked: number[][] = [];
  const discarded: { seqs: number[]; condition: string; attempts: number }[] = [];
  for (let guard = 0; batches.size > 0 && guard < 100; guard++) {
    const batch = batches.next();
    invoked.push(seqs(batch));
    const settled = batches.settle(batch, outcome(seqs(batch)));
    if (settled.discarded) discarded.push({ ...settled.discarded, seqs: seqs(settled.discarded.records) });
  }
  return { invoked, discarded };
}

describe('ShardBatches', () => {
  it('cuts batches at the batch size and checkpoints past each success', () => {
    const batches = new ShardBatches(settings());
    batches.add(records(10));
    expect(drive(batches, () => ok).invoked).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    expect(batches.checkpoint).toBe('1009');
  });

  it('cuts batches to fit the 6 MB payload (always at least one record)', () => {
    const limit = EVENT_ENVELOPE_BYTES + 250;
    const batches = new ShardBatches(settings({ maxPayloadBytes: limit }));
    batches.add([
      record(0, { bytes: 100 }),
      record(1, { bytes: 100 }),
      record(2, { bytes: 100 }),
      record(3, { bytes: 400 }),
    ]);
    expect(batches.ready(0, 60_000, false)).toBe(true); // a full payload does not wait for the window
    expect(drive(batches, () => ok).invoked).toEqual([[0, 1], [2], [3]]);
  });

  it('waits for the batching window unless the batch is full, a retry, or the shard is drained', () => {
    const batches = new ShardBatches(settings());
    batches.add([record(0, { readAtMs: 1000 })]);
    expect(batches.ready(1500, 1000, false)).toBe(false);
    expect(batches.windowEndsAt(1000)).toBe(2000);
    expect(batches.ready(2000, 1000, false)).toBe(true);
    expect(batches.ready(1500, 1000, true)).toBe(true);
    batches.add(records(3, 1));
    expect(batches.ready(1500, 1000, false)).toBe(true);
  });

  it('retries a failing batch whole, then discards it after MaximumRetryAttempts retries', () => {
    const batches = new ShardBatches(settings());
    batches.add(records(6));
    const run = drive(batches, (batch) => (batch.includes(1) ? error : ok));
    expect(run.invoked).toEqual([
      [0, 1, 2, 3],
      [0, 1, 2, 3],
      [0, 1, 2, 3],
      [4, 5],
    ]);
    expect(run.discarded).toEqual([
      expect.objectContaining({ seqs: [0, 1, 2, 3], condition: 'RetryAttemptsExhausted', attempts: 3 }),
    ]);
  });

  it('retries forever with MaximumRetryAttempts -1', () => {
    const batches = new ShardBatches(settings({ maxRetryAttempts: -1 }));
    batches.add(records(1));
    let failures = 0;
    const run = drive(batches, () => (failures++ < 50 ? error : ok));
    expect(run.invoked).toHaveLength(51);
    expect(run.discarded).toEqual([]);
  });

  it('bisects down to the poison record; splits are not attempts', () => {
    const batches = new ShardBatches(
      settings({ batchSize: 8, bisectBatchOnFunctionError: true, maxRetryAttempts: 1 }),
    );
    batches.add(records(8));
    const run = drive(batches, (batch) => (batch.includes(5) ? error : ok));
    expect(run.invoked).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [4, 5],
      [4],
      [5],
      [5],
      [6, 7],
    ]);
    expect(run.discarded).toEqual([expect.objectContaining({ seqs: [5], attempts: 2 })]);
  });

  it('checkpoints before the reported record and retries from it; a failed record counts as an attempt', () => {
    const batches = new ShardBatches(settings({ batchSize: 6, maxRetryAttempts: 1 }));
    batches.add(records(6));
    const run = drive(batches, (batch) => (batch.includes(3) ? partial(3) : ok));
    expect(run.invoked).toEqual([
      [0, 1, 2, 3, 4, 5],
      [3, 4, 5],
    ]);
    expect(run.discarded).toEqual([expect.objectContaining({ seqs: [3, 4, 5], attempts: 2 })]);
    expect(batches.checkpoint).toBe('1005');
  });

  it('with bisect, a partial failure inside a half keeps retrying only the rest of that half', () => {
    const batches = new ShardBatches(
      settings({ batchSize: 8, bisectBatchOnFunctionError: true, maxRetryAttempts: 5 }),
    );
    batches.add(records(8));
    let reported = false;
    const run = drive(batches, (batch) => {
      if (batch.length === 8) return error;
      if (batch.includes(2) && !reported) {
        reported = true;
        return partial(2);
      }
      return ok;
    });
    expect(run.invoked).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [0, 1, 2, 3],
      [2, 3],
      [4, 5, 6, 7],
    ]);
  });

  it('discards records older than MaximumRecordAgeInSeconds from the front', () => {
    const batches = new ShardBatches(settings());
    batches.add([record(0, { arrivalMs: 0 }), record(1, { arrivalMs: 500 }), record(2, { arrivalMs: 2000 })]);
    expect(batches.expire(2500, -1)).toBeUndefined();
    const expired = batches.expire(2500, 1000);
    expect(seqs(expired!.records)).toEqual([0, 1]);
    expect(expired!.condition).toBe('RecordAgeExceeded');
    expect(seqs(batches.next())).toEqual([2]);
    expect(batches.checkpoint).toBe('1001');
  });
});
