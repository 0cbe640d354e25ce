import { SluiceError } from '../../engine/errors.js';
import type { EmulatorName } from './types.js';

/**
 * Root of every error the emulator harness throws. Match on `code`, which is stable; the
 * message says what went wrong and how to fix it.
 */
export class EmulatorError extends SluiceError {
  /** The emulator (or endpoint) the error is about. */
  readonly emulator: EmulatorName;

  constructor(
    code: string,
    emulator: EmulatorName,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(code, message, { ...options, context: { emulator, ...options.context } });
    this.emulator = emulator;
  }
}

/** An emulator did not answer a real API call within the start-up timeout. */
export class EmulatorStartTimeoutError extends EmulatorError {
  readonly timeoutMs: number;

  constructor(emulator: EmulatorName, endpoint: string, timeoutMs: number, cause?: unknown) {
    super(
      'SLUICE_EMULATOR_START_TIMEOUT',
      emulator,
      `${emulator} (${endpoint}) did not become ready within ${timeoutMs} ms${describeCause(cause)}. ` +
        'Check that the package is installed (npm ci), that nothing blocks 127.0.0.1, and raise ' +
        '`startTimeoutMs` if the machine is just slow.',
      { cause, context: { endpoint, timeoutMs } },
    );
    this.timeoutMs = timeoutMs;
  }
}

/** An emulator's child process exited before it became ready (or could not be spawned). */
export class EmulatorExitedError extends EmulatorError {
  constructor(emulator: EmulatorName, detail: string, output: string, cause?: unknown) {
    super(
      'SLUICE_EMULATOR_EXITED',
      emulator,
      `${emulator} exited before it became ready (${detail}). ` +
        `Its last output:\n${output.trim() || '(none)'}\n` +
        'Check that the package is installed (npm ci) and that Node is version 20 or later.',
      { cause, context: { detail, output } },
    );
  }
}

/** The container runtime LocalStack needs (Docker or a compatible engine) is missing. */
export class ContainerRuntimeUnavailableError extends EmulatorError {
  /** testcontainers' own explanation, e.g. "Could not find a working container runtime strategy". */
  readonly reason: string;

  constructor(reason: string, cause?: unknown) {
    super(
      'SLUICE_CONTAINER_RUNTIME_UNAVAILABLE',
      'localstack',
      `LocalStack cannot start: ${reason}. Start a Docker engine (or set DOCKER_HOST), ` +
        'or use the in-process emulators (backend "emulators"), which need no Docker.',
      { cause, context: { reason } },
    );
    this.reason = reason;
  }
}

/** `AWS_ENDPOINT_URL` (or the `endpointUrl` option) is not an http(s) URL. */
export class InvalidEndpointUrlError extends EmulatorError {
  constructor(value: string) {
    super(
      'SLUICE_INVALID_ENDPOINT_URL',
      'endpoint',
      `AWS_ENDPOINT_URL ${JSON.stringify(value)} is not an http(s) URL. ` +
        'Set it to the emulator endpoint, e.g. http://127.0.0.1:4566, or unset it to start local emulators.',
      { context: { value } },
    );
  }
}

/** One or more emulators could not be stopped cleanly; the rest were still stopped. */
export class EmulatorStopError extends EmulatorError {
  constructor(emulator: EmulatorName, cause: unknown) {
    super(
      'SLUICE_EMULATOR_STOP_FAILED',
      emulator,
      `${emulator} did not stop cleanly${describeCause(cause)}. ` +
        'Its port or temporary directory may still be in use; the process exit frees both.',
      { cause },
    );
  }
}

function describeCause(cause: unknown): string {
  if (cause === undefined) return '';
  const text = cause instanceof Error ? cause.message || cause.name : String(cause);
  return ` (last error: ${text})`;
}
