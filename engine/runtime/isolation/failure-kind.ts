/**
 * Which failures poison isolation may look into. A batch failure is *deterministic* when an
 * in-memory replay of the batch (a probe: the operators, the state limits and the sink's checks,
 * with state read as of the batch and nothing written) fails too; only then are rows set aside.
 * Failures that cannot be deterministic are not probed at all, they are retried:
 *
 * | transient (retried, never isolated) | how it is recognized |
 * | --- | --- |
 * | AWS throttling, 5xx, timeouts, network errors | SDK errors (`$metadata`, `$retryable`), sluice's `SLUICE_AWS_REQUEST_FAILED`, `SLUICE_S3_REQUEST_FAILED`, Kinesis request errors |
 * | another invocation took the batch (zombie) | `SLUICE_CHECKPOINT_CONFLICT` |
 * | the batch's records cannot be read back | `SLUICE_KINESIS_RANGE_MISMATCH` (see the gap handling) |
 * | an incompatible plan, a misconfiguration | `SLUICE_INCOMPATIBLE_PLAN`, `SLUICE_*_CONFIG` (fix the deployment) |
 * | the shard's state outgrew its share of memory | `SLUICE_STATE_TOO_LARGE` (more shards or memory) |
 *
 * Everything else (a user function that throws, a state limit, an encoding failure, a stack
 * overflow) is probed; a probe that cannot read state (I/O) counts as transient as well.
 */
export function mayBeDeterministic(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current !== undefined && depth < 8; depth++) {
    if (typeof current !== 'object' || current === null) return true;
    const candidate = current as {
      code?: unknown;
      name?: unknown;
      $metadata?: unknown;
      $retryable?: unknown;
    };
    if (candidate.$metadata !== undefined || candidate.$retryable !== undefined) return false;
    if (typeof candidate.code === 'string' && TRANSIENT_CODES.test(candidate.code)) return false;
    if (typeof candidate.name === 'string' && TRANSIENT_NAMES.test(candidate.name)) return false;
    current = (current as { cause?: unknown }).cause;
  }
  return true;
}

const TRANSIENT_CODES =
  /^(SLUICE_AWS_REQUEST_FAILED|SLUICE_S3_REQUEST_FAILED|SLUICE_KINESIS_REQUEST_FAILED|SLUICE_CHECKPOINT_CONFLICT|SLUICE_KINESIS_RANGE_MISMATCH|SLUICE_INCOMPATIBLE_PLAN|SLUICE_STATE_TOO_LARGE|SLUICE_PROBE_IO|SLUICE_\w*CONFIG\w*|E(CONNRESET|CONNREFUSED|TIMEDOUT|PIPE|AI_AGAIN)|ENOTFOUND)$/;
const TRANSIENT_NAMES =
  /Throttl|TimeoutError|TimedOut|ServiceUnavailable|InternalServerError|SlowDown|RequestLimitExceeded|ProvisionedThroughputExceeded|AbortError/;
