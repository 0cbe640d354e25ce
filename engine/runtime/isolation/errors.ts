import { SluiceError } from '../../errors.js';

/** A probe could not read state: an I/O failure, so the probe says nothing about determinism. */
export class ProbeIoError extends SluiceError {
  constructor(cause: unknown) {
    super(
      'SLUICE_PROBE_IO',
      `Poison isolation could not read state (${(cause as Error)?.message ?? String(cause)}); the batch is retried instead.`,
      { cause },
    );
  }
}
