import { SluiceError } from '../../engine/errors.js';

/**
 * Root of every error the local runner throws. Match on `code`, which is stable; the message
 * says what went wrong and what to do.
 */
export class LocalRunnerError extends SluiceError {}

/** A Kinesis call of the event source mapping failed (after the SDK's own retries). */
export class ShardReadError extends LocalRunnerError {
  constructor(stream: string, shardId: string, operation: string, cause: unknown) {
    const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    super(
      'SLUICE_RUNNER_SHARD_READ',
      `${operation} on ${stream}/${shardId} failed (${detail}). The runner retries on its next poll; if it keeps failing, check that the Kinesis emulator is still running and the stream exists (provision it again after restarting the emulators).`,
      { cause, context: { stream, shardId, operation } },
    );
  }
}

/** `runUntilCaughtUp` ran out of time; the message lists what was still behind. */
export class CaughtUpTimeoutError extends LocalRunnerError {
  constructor(timeoutMs: number, behind: readonly string[]) {
    super(
      'SLUICE_RUNNER_CAUGHT_UP_TIMEOUT',
      `The runner did not catch up within ${timeoutMs} ms. Still behind:\n${behind.map((line) => `  - ${line}`).join('\n')}\nRaise timeoutMs for large inputs, or look at runner.stats() and runner.logs(functionId) for a function that keeps failing.`,
      { context: { timeoutMs, behind } },
    );
  }
}

/** The runner was used before `start()` or after `stop()`. */
export class RunnerStateError extends LocalRunnerError {
  constructor(message: string) {
    super('SLUICE_RUNNER_STATE', message);
  }
}

/** An unknown function logical id or query name was asked for. */
export class UnknownFunctionError extends LocalRunnerError {
  constructor(name: string, known: readonly string[]) {
    super(
      'SLUICE_RUNNER_UNKNOWN_FUNCTION',
      `No function '${name}' in the provisioned template. Known: ${known.join(', ') || 'none'}.`,
      { context: { name, known } },
    );
  }
}
