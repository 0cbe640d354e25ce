import { describe, expect, it } from 'vitest';
import { classifyResponse } from '../../../local/runner/batch-response.js';
import type { InvokeResult } from '../../../local/runner/function-pool.js';

const batch = [{ sequenceNumber: '900' }, { sequenceNumber: '1000' }, { sequenceNumber: '1100' }];
const returned = (value: unknown): InvokeResult => ({
  ok: true,
  value,
  requestId: 'r',
  coldStart: false,
  initMs: 0,
  durationMs: 1,
});

describe('classifyResponse (how Lambda reads a Kinesis batch response)', () => {
  it('treats a function error as a failure of the whole batch', () => {
    const failed: InvokeResult = {
      ok: false,
      error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out after 1.00 seconds' },
      requestId: 'r',
      coldStart: false,
      initMs: 0,
      durationMs: 1000,
    };
    expect(classifyResponse(failed, batch, true)).toEqual({
      kind: 'error',
      reason: 'Sandbox.Timedout: Task timed out after 1.00 seconds',
    });
  });

  it.each([null, {}, { batchItemFailures: [] }, { batchItemFailures: null }, 'done'])(
    'treats %j as a complete success',
    (value) => expect(classifyResponse(returned(value), batch, true)).toEqual({ kind: 'success' }),
  );

  it('ignores batchItemFailures unless ReportBatchItemFailures is on', () => {
    const value = { batchItemFailures: [{ itemIdentifier: '1000' }] };
    expect(classifyResponse(returned(value), batch, false)).toEqual({ kind: 'success' });
  });

  it('checkpoints at the lowest reported sequence number (compared as numbers)', () => {
    const value = { batchItemFailures: [{ itemIdentifier: '1100' }, { itemIdentifier: '1000' }] };
    expect(classifyResponse(returned(value), batch, true)).toEqual({ kind: 'partial', from: '1000' });
  });

  it.each([
    { batchItemFailures: {} },
    { batchItemFailures: [{ itemIdentifier: '' }] },
    { batchItemFailures: [{ itemIdentifier: null }] },
    { batchItemFailures: [{ id: '1000' }] },
    { batchItemFailures: [{ itemIdentifier: '5' }] },
  ])('treats %j as a complete failure', (value) => {
    expect(classifyResponse(returned(value), batch, true).kind).toBe('error');
  });
});
