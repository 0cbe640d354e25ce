/**
 * Every error the engine throws is a {@link SluiceError} with a stable `code` that tools and
 * tests can match on; the message says what went wrong and how to fix it.
 */
export class SluiceError extends Error {
  readonly code: string;
  readonly context: Readonly<Record<string, unknown>>;

  constructor(
    code: string,
    message: string,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.context = options.context ?? {};
  }
}

/** A query that cannot run: raised by the plan checker before anything executes. */
export class InvalidQueryError extends SluiceError {
  /** The checker rule that was broken, e.g. `APPEND_AGGREGATION_WITHOUT_WATERMARK`. */
  readonly rule: string;
  constructor(rule: string, message: string, context: Record<string, unknown> = {}) {
    super(`SLUICE_${rule}`, `[${rule}] ${message}`, { context });
    this.rule = rule;
  }
}

/** A duration string or number that does not describe a non-negative time span. */
export class InvalidDurationError extends SluiceError {
  constructor(input: unknown, reason: string) {
    super(
      'SLUICE_INVALID_DURATION',
      `Invalid duration ${JSON.stringify(input)}: ${reason}. Use milliseconds or a string such as '10 seconds', '5 minutes', '1 hour', '2 days'.`,
      { context: { input } },
    );
  }
}

/** The checkpoint was written by a query whose stateful plan differs from this one. */
export class IncompatiblePlanError extends SluiceError {
  constructor(query: string, stored: string, current: string, detail: string) {
    super(
      'SLUICE_INCOMPATIBLE_PLAN',
      `Query '${query}' cannot restart from its checkpoint: ${detail}. Stateful operators, grouping keys and state schemas must stay the same across restarts (filters and projections may change). Deploy the change under a new query name, or delete the query's checkpoint and state to start over.`,
      { context: { query, stored, current } },
    );
  }
}

/** Another invocation planned or committed a batch in between (e.g. a zombie or a concurrent writer). */
export class CheckpointConflictError extends SluiceError {
  constructor(message: string, context: Record<string, unknown>) {
    super('SLUICE_CHECKPOINT_CONFLICT', message, { context });
  }
}

/** A state store was used against its contract (e.g. writing a batch older than the stored version). */
export class StateStoreMisuseError extends SluiceError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('SLUICE_STATE_STORE_MISUSE', message, { context });
  }
}

/**
 * The checkpoint was committed with another state backend than the one running now (S3
 * changelog state vs DynamoDB per-key state): running on would silently start from empty state.
 */
export class StateBackendChangedError extends SluiceError {
  constructor(query: string, partition: string, committedWith: 's3' | 'dynamodb') {
    super(
      'SLUICE_STATE_BACKEND_CHANGED',
      `Query '${query}' on ${partition} was committed with ${committedWith === 's3' ? "S3 state (state: 's3')" : "DynamoDB state (state: 'dynamodb')"}, but runs with the other backend now. Set the 'state' setting (construct prop 'state', SLUICE_STATE) back to '${committedWith}', or start the query under a new name to begin with empty state.`,
      { context: { query, partition, committedWith } },
    );
  }
}

/**
 * A shard's state (held in the function's memory by the S3 changelog store) has grown past the
 * configured share of the function's memory: the batch is not committed, and the shard stops
 * here, well before the function would run out of memory mid-batch (a crash with no message).
 */
export class StateTooLargeError extends SluiceError {
  constructor(details: {
    query: string;
    partition: string;
    estimatedBytes: number;
    groups: number;
    limitBytes: number;
    /** How the limit was set, e.g. "20% of the function's 1024 MB (SLUICE_STATE_MEMORY_FRACTION)". */
    limitSource: string;
  }) {
    const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
    super(
      'SLUICE_STATE_TOO_LARGE',
      `The state of query '${details.query}' on ${details.partition} would take about ${mb(details.estimatedBytes)} of memory (${details.groups} groups), over its limit of ${mb(details.limitBytes)}: ${details.limitSource}. A shard's state lives in its function's memory. Fix: add shards (each holds a share of the keys; UpdateShardCount), or give the function more memory (construct prop 'memorySize'), or keep less state (a watermark that evicts sooner, shorter windows, smaller values). The limit's share is the construct prop 'stateMemoryFraction' (SLUICE_STATE_MEMORY_FRACTION).`,
      { context: details },
    );
  }
}

/** A user function (GroupState, map, ...) did something Spark's contract forbids. */
export class UserFunctionError extends SluiceError {
  constructor(code: string, message: string, context: Record<string, unknown> = {}) {
    super(`SLUICE_${code}`, message, { context });
  }
}
