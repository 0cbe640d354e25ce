import { SluiceError } from '../../errors.js';

/** Root of the heartbeat ticker's errors, so a caller can catch them all at once. */
export class HeartbeatError extends SluiceError {}

/** The heartbeat function's environment is missing or wrong; each problem names its variable and the fix. */
export class HeartbeatConfigurationError extends HeartbeatError {
  constructor(problems: readonly string[]) {
    super(
      'SLUICE_HEARTBEAT_CONFIGURATION',
      `Invalid heartbeat function configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      { context: { problems } },
    );
  }
}

/**
 * Kinesis refused some heartbeat records (throttling or an internal error). The tick is retried by
 * its scheduler; shards that did get a heartbeat simply get a second one, which is harmless.
 */
export class HeartbeatPutError extends HeartbeatError {
  constructor(stream: string, failures: readonly { shardId: string; errorCode: string }[]) {
    super(
      'SLUICE_HEARTBEAT_PUT_FAILED',
      `Kinesis refused ${failures.length} heartbeat record(s) on stream '${stream}' (${failures
        .map((f) => `${f.shardId}: ${f.errorCode}`)
        .join(
          ', ',
        )}). The next tick retries them; if this persists, check the stream's write throughput and the heartbeat function's kinesis:PutRecords permission.`,
      { context: { stream, failures } },
    );
  }
}

/** A Kinesis or DynamoDB call of the ticker failed after the SDK's own retries. */
export class HeartbeatRequestError extends HeartbeatError {
  constructor(operation: string, cause: unknown) {
    const name = (cause as { name?: string }).name ?? 'Error';
    super(
      'SLUICE_HEARTBEAT_REQUEST_FAILED',
      `${operation} failed with ${name}: ${(cause as Error).message}. Check that the stream and table exist and that the heartbeat function's role allows the call.`,
      { cause, context: { operation } },
    );
  }
}
