import { describe, expect, it } from 'vitest';
import { GroupStateTimeout, UserFunctionError } from '../../../engine/index.js';
import {
  type GroupStateBatchInfo,
  GroupStateImpl,
} from '../../../engine/operators/groups-with-state/group-state.js';

const { NoTimeout, ProcessingTimeTimeout, EventTimeTimeout } = GroupStateTimeout;

function createState<S>(
  stored: S | undefined,
  timeout: GroupStateTimeout,
  options: Partial<GroupStateBatchInfo> & { hasTimedOut?: boolean } = {},
): GroupStateImpl<S> {
  const batch: GroupStateBatchInfo = {
    timeout,
    batchTimestampMs: options.batchTimestampMs ?? 1000,
    watermarkMs: options.watermarkMs ?? 1000,
    hasWatermark: options.hasWatermark ?? true,
  };
  return new GroupStateImpl<S>(
    batch,
    stored === undefined ? undefined : { value: stored },
    options.hasTimedOut ?? false,
  );
}

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return error instanceof UserFunctionError ? error.code : `not a UserFunctionError: ${String(error)}`;
  }
  return undefined;
};

/** Spark's testTimeoutDurationNotAllowed / testTimeoutTimestampNotAllowed. */
function expectDurationRejected(state: GroupStateImpl<unknown>): void {
  const before = state.timeoutTimestampMs;
  expect(codeOf(() => state.setTimeoutDuration(1000))).toBe('SLUICE_CANNOT_SET_TIMEOUT_DURATION');
  expect(codeOf(() => state.setTimeoutDuration('2 seconds'))).toBe('SLUICE_CANNOT_SET_TIMEOUT_DURATION');
  expect(state.timeoutTimestampMs).toBe(before);
}
function expectTimestampRejected(state: GroupStateImpl<unknown>): void {
  const before = state.timeoutTimestampMs;
  expect(codeOf(() => state.setTimeoutTimestamp(2000))).toBe('SLUICE_CANNOT_SET_TIMEOUT_TIMESTAMP');
  expect(codeOf(() => state.setTimeoutTimestamp(2000, '1 second'))).toBe(
    'SLUICE_CANNOT_SET_TIMEOUT_TIMESTAMP',
  );
  expect(state.timeoutTimestampMs).toBe(before);
}

describe('GroupState (Spark GroupStateSuite)', () => {
  it('get, exists, update, remove', () => {
    const empty = createState<string>(undefined, NoTimeout);
    expect(empty.exists).toBe(false);
    expect(codeOf(() => empty.get())).toBe('SLUICE_GROUP_STATE_NOT_DEFINED');
    expect(empty.getOption()).toBeUndefined();
    empty.update('');
    expect([empty.exists, empty.get(), empty.getOption()]).toEqual([true, '', '']);

    const state = createState<string>('2', NoTimeout);
    expect([state.exists, state.get()]).toEqual([true, '2']);
    state.update('3');
    expect(state.get()).toBe('3');
    state.remove();
    expect(state.exists).toBe(false);
    expect(codeOf(() => state.get())).toBe('SLUICE_GROUP_STATE_NOT_DEFINED');
    state.remove(); // still callable
    state.update('4');
    expect(state.get()).toBe('4');
    const outcome = state.close();
    expect(outcome).toMatchObject({ updated: true, removed: false, exists: true, value: '4' });

    const other = createState<string | null>('x', NoTimeout);
    expect(codeOf(() => other.update(null))).toBe('SLUICE_GROUP_STATE_INVALID_VALUE');
    expect(codeOf(() => other.update(undefined as unknown as string))).toBe(
      'SLUICE_GROUP_STATE_INVALID_VALUE',
    );
    expect(other.get()).toBe('x');
  });

  it('remove after update reports removed, not updated', () => {
    const state = createState<number>(1, NoTimeout);
    state.update(2);
    state.remove();
    expect(state.close()).toMatchObject({ updated: false, removed: true, exists: false, value: undefined });
  });

  it('rejects both kinds of timeout under NoTimeout', () => {
    for (const stored of [undefined, 5]) {
      const state = createState<number>(stored, NoTimeout);
      expectDurationRejected(state);
      expectTimestampRejected(state);
    }
  });

  it('ProcessingTimeTimeout: duration from the batch time, set with or without state, after remove too', () => {
    const state = createState<number>(undefined, ProcessingTimeTimeout, { batchTimestampMs: 1000 });
    expect(state.timeoutTimestampMs).toBeUndefined();
    state.setTimeoutDuration('1 second');
    expect(state.timeoutTimestampMs).toBe(2000);
    state.setTimeoutDuration(500); // can be set without initializing state
    expect(state.timeoutTimestampMs).toBe(1500);
    expectTimestampRejected(state);

    state.update(5);
    expect(state.timeoutTimestampMs).toBe(1500); // does not change
    state.setTimeoutDuration(1000);
    expect(state.timeoutTimestampMs).toBe(2000);
    state.setTimeoutDuration('2 seconds');
    expect(state.timeoutTimestampMs).toBe(3000);

    state.remove();
    expect(state.timeoutTimestampMs).toBe(3000); // does not change
    state.setTimeoutDuration(500); // can still be set
    expect(state.timeoutTimestampMs).toBe(1500);
    expectTimestampRejected(state);
    expect(state.close()).toMatchObject({ removed: true, exists: false, timeoutMs: 1500 });
  });

  it('EventTimeTimeout: timestamps (+ additional duration), with or without state, after remove too', () => {
    const state = createState<number>(undefined, EventTimeTimeout, { watermarkMs: 1000 });
    expect(state.timeoutTimestampMs).toBeUndefined();
    expectDurationRejected(state);
    state.setTimeoutTimestamp(5000);
    expect(state.timeoutTimestampMs).toBe(5000);

    state.update(5);
    expect(state.timeoutTimestampMs).toBe(5000);
    state.setTimeoutTimestamp(10_000);
    expect(state.timeoutTimestampMs).toBe(10_000);
    state.setTimeoutTimestamp(10_000, '10 seconds');
    expect(state.timeoutTimestampMs).toBe(20_000);
    expectDurationRejected(state);

    state.remove();
    expect(state.timeoutTimestampMs).toBe(20_000);
    state.setTimeoutTimestamp(5000); // can be set after removing state
    expect(state.timeoutTimestampMs).toBe(5000);
    state.setTimeoutTimestamp(1000); // equal to the watermark is allowed
    expect(state.timeoutTimestampMs).toBe(1000);
  });

  it('illegal timeout values throw and leave the timeout unset', () => {
    const processing = createState<number>(5, ProcessingTimeTimeout);
    for (const bad of [-1000, 0, '-2 seconds', '0 seconds', 'soon', Number.NaN]) {
      expect(codeOf(() => processing.setTimeoutDuration(bad))).toBe('SLUICE_GROUP_STATE_INVALID_TIMEOUT');
      expect(processing.timeoutTimestampMs).toBeUndefined();
    }

    const eventTime = createState<number>(5, EventTimeTimeout, { watermarkMs: 0 });
    const illegal: Array<() => void> = [
      () => eventTime.setTimeoutTimestamp(-10_000),
      () => eventTime.setTimeoutTimestamp(0),
      () => eventTime.setTimeoutTimestamp(10_000, '-3 seconds'),
      () => eventTime.setTimeoutTimestamp(10_000, -3000),
      () => eventTime.setTimeoutTimestamp(-10_000, '3 seconds'),
      () => eventTime.setTimeoutTimestamp(Number.POSITIVE_INFINITY),
    ];
    for (const call of illegal) {
      expect(codeOf(call)).toBe('SLUICE_GROUP_STATE_INVALID_TIMEOUT');
      expect(eventTime.timeoutTimestampMs).toBeUndefined();
    }
    eventTime.setTimeoutTimestamp(0, '1 hour'); // Spark's batch test: 0 + 1 hour is valid
    expect(eventTime.timeoutTimestampMs).toBe(3_600_000);
  });

  it('a timeout timestamp below the watermark is an error and keeps the previous timeout', () => {
    const state = createState<number>(5, EventTimeTimeout, { watermarkMs: 10_000 });
    state.setTimeoutTimestamp(12_000);
    expect(codeOf(() => state.setTimeoutTimestamp(9999))).toBe('SLUICE_GROUP_STATE_TIMEOUT_BEFORE_WATERMARK');
    expect(codeOf(() => state.setTimeoutTimestamp(5000, '4 seconds'))).toBe(
      'SLUICE_GROUP_STATE_TIMEOUT_BEFORE_WATERMARK',
    );
    expect(state.timeoutTimestampMs).toBe(12_000);
    expect(() => state.setTimeoutTimestamp(9999)).toThrow(
      'Timeout timestamp (9999) cannot be earlier than the current watermark (10000)',
    );
  });

  it('hasTimedOut is only possible with a timeout configured', () => {
    for (const timeout of [NoTimeout, ProcessingTimeTimeout, EventTimeTimeout]) {
      expect(createState<number>(5, timeout).hasTimedOut).toBe(false);
    }
    expect(createState<number>(5, ProcessingTimeTimeout, { hasTimedOut: true }).hasTimedOut).toBe(true);
    expect(createState<number>(undefined, EventTimeTimeout, { hasTimedOut: true }).hasTimedOut).toBe(true);
    expect(codeOf(() => createState<number>(5, NoTimeout, { hasTimedOut: true }))).toBe(
      'SLUICE_MISSING_TIMEOUT_CONFIGURATION',
    );
  });

  it('getCurrentWatermarkMs needs a watermark in the query; processing time is the batch time', () => {
    for (const timeout of [NoTimeout, ProcessingTimeTimeout, EventTimeTimeout]) {
      const without = createState<number>(undefined, timeout, { hasWatermark: false });
      expect(codeOf(() => without.getCurrentWatermarkMs())).toBe('SLUICE_CANNOT_GET_WATERMARK');
      expect(createState<number>(undefined, timeout, { watermarkMs: 0 }).getCurrentWatermarkMs()).toBe(0);
      expect(createState<number>(undefined, timeout, { watermarkMs: 2000 }).getCurrentWatermarkMs()).toBe(
        2000,
      );
      for (const hasWatermark of [false, true]) {
        const state = createState<number>(1000, timeout, { batchTimestampMs: 2000, hasWatermark });
        expect(state.getCurrentProcessingTimeMs()).toBe(2000);
      }
    }
  });

  it('hands the function a private copy of the stored state and stores a copy of what it leaves', () => {
    const stored = { count: 1, tags: ['a'] };
    const state = createState<typeof stored>(stored, NoTimeout);
    const seen = state.get();
    seen.count = 99; // mutating without update()
    seen.tags.push('b');
    expect(stored).toEqual({ count: 1, tags: ['a'] });
    expect(state.get()).toBe(seen); // the same copy within a call
    const outcome = state.close();
    expect(outcome.updated).toBe(false);

    const updating = createState<{ count: number }>({ count: 1 }, NoTimeout);
    const mine = { count: 2 };
    updating.update(mine);
    const written = updating.close();
    mine.count = 3; // the function keeps a reference: the stored value must not follow
    expect(written.value).toEqual({ count: 2 });
  });

  it('rejects state that is not plain data', () => {
    const state = createState<unknown>(undefined, NoTimeout);
    state.update({ f: () => 1 });
    expect(codeOf(() => state.close())).toBe('SLUICE_GROUP_STATE_NOT_PLAIN_DATA');
  });

  it('cannot be used once its call has ended', () => {
    const state = createState<number>(1, ProcessingTimeTimeout);
    state.close();
    expect(codeOf(() => state.get())).toBe('SLUICE_GROUP_STATE_USED_AFTER_CALL');
    expect(codeOf(() => state.update(2))).toBe('SLUICE_GROUP_STATE_USED_AFTER_CALL');
    expect(codeOf(() => state.setTimeoutDuration(10))).toBe('SLUICE_GROUP_STATE_USED_AFTER_CALL');
  });
});
