import { setTimeout as sleep } from 'node:timers/promises';
import { EmulatorStartTimeoutError } from './errors.js';
import type { EmulatorName } from './types.js';

/** How often a readiness probe is retried. */
export const READINESS_POLL_INTERVAL_MS = 25;

/** Socket timeout of one readiness probe, so that a hung connection cannot eat the whole budget. */
export const PROBE_REQUEST_TIMEOUT_MS = 2_000;

/** What {@link waitUntilReady} polls and how long it may take. */
export interface ReadinessCheck {
  readonly emulator: EmulatorName;
  readonly endpoint: string;
  readonly timeoutMs: number;
  /** A real API call against the emulator; resolves once the emulator serves requests. */
  readonly probe: () => Promise<unknown>;
  /** Rejects when the emulator can never become ready (e.g. its process exited); checked while polling. */
  readonly failed?: Promise<never>;
  /** Stops polling early; the wait rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * Polls `probe` until it succeeds and returns the elapsed milliseconds. Throws
 * {@link EmulatorStartTimeoutError} (carrying the probe's last error as `cause`) when the
 * timeout passes first, or the rejection of `failed` as soon as that settles.
 *
 * @example
 * await waitUntilReady({ emulator: 'dynalite', endpoint, timeoutMs: 10_000,
 *   probe: () => client.send(new ListTablesCommand({})) });
 */
export async function waitUntilReady(check: ReadinessCheck): Promise<number> {
  const started = performance.now();
  let lastError: unknown;
  let settled = false;
  let timer: NodeJS.Timeout | undefined;

  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new EmulatorStartTimeoutError(check.emulator, check.endpoint, check.timeoutMs, lastError)),
      check.timeoutMs,
    );
  });
  const polled = (async () => {
    while (!settled) {
      try {
        await check.probe();
        return performance.now() - started;
      } catch (error) {
        lastError = error;
      }
      await sleep(READINESS_POLL_INTERVAL_MS);
    }
    return Number.NaN;
  })();

  const signal = check.signal;
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });

  try {
    return await Promise.race([polled, timedOut, aborted, ...(check.failed ? [check.failed] : [])]);
  } finally {
    settled = true;
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Resolves like `promise`, or rejects with {@link EmulatorStartTimeoutError} when it has not
 * settled within `timeoutMs` (e.g. a child process that never reports its port).
 */
export async function withStartTimeout<T>(
  promise: Promise<T>,
  emulator: EmulatorName,
  endpoint: string,
  timeoutMs: number,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EmulatorStartTimeoutError(emulator, endpoint, timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
