import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { StreamMode } from 'aws-cdk-lib/aws-kinesis';
import { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * Every StreamingQuery default, as data (applied with `??`). Each names why it was chosen; the
 * props' `@default` tags point here.
 */

/** Whether this module runs from the TypeScript sources (this repository) or the compiled package. */
const FROM_SOURCES = import.meta.url.endsWith('.ts');

/**
 * Where `functions/` and `package-lock.json` live: this repository when the construct runs from its
 * sources; the directory `cdk synth` runs in (the user's app, where `cdk.json` is) when it runs
 * from the installed package.
 */
export const DEFAULT_PROJECT_ROOT = FROM_SOURCES
  ? fileURLToPath(new URL('../../', import.meta.url))
  : process.cwd();

/**
 * The heartbeat ticker's handler, shipped with sluice (`functions/heartbeat.ts` here,
 * `dist/functions/heartbeat.js` in the package): every app deploys the same one.
 */
export const HEARTBEAT_ENTRY = fileURLToPath(
  new URL(`../../functions/heartbeat.${FROM_SOURCES ? 'ts' : 'js'}`, import.meta.url),
);

/** The export the query file provides (the engine's handler factory result). */
export const DEFAULT_HANDLER = 'handler';

/** Same default as the function's `SLUICE_PREFIX` (functions/config.ts). */
export const DEFAULT_PREFIX = 'sluice';

/** One shard: the cheapest provisioned stream; raise it (or go on-demand) for throughput. */
export const DEFAULT_SHARD_COUNT = 1;

/** Provisioned: predictable shards, hence predictable per-shard state and watermarks. */
export const DEFAULT_STREAM_MODE = StreamMode.PROVISIONED;

/** Kinesis' own default; a replay re-fetches its range, so it must be retried within this. */
export const DEFAULT_STREAM_RETENTION = Duration.hours(24);

/** Operators keep per-batch state maps in memory; 1 GB also buys a full vCPU share. */
export const DEFAULT_MEMORY_MB = 1024;

/**
 * The share of the function's memory a shard's S3 state may take (the handler's own default,
 * `DEFAULT_STATE_MEMORY_FRACTION` in engine/state/changelog/state-memory.ts). Measured: the RSS of
 * a process holding 200,000 groups is about 4× their heap (docs/benchmarks.md, "Mass eviction"),
 * on top of ~100 MB of runtime, so 20% keeps the peak under the memory size.
 */
export const DEFAULT_STATE_MEMORY_FRACTION = 0.2;

/** The state-memory alarm fires at this share of the limit, before batches fail. */
export const DEFAULT_STATE_MEMORY_ALARM_SHARE = 0.8;

/** Long enough for a large batch plus its commit (the handler stops starting batches near the end). */
export const DEFAULT_TIMEOUT = Duration.minutes(5);

/** A month of function logs (progress records are also in S3). */
export const DEFAULT_LOG_RETENTION = RetentionDays.ONE_MONTH;

/** Records per invocation: big enough to amortize the WAL write and commit of a micro-batch. */
export const DEFAULT_BATCH_SIZE = 500;

/** Gather up to a second of records into one micro-batch instead of one invocation per put. */
export const DEFAULT_MAX_BATCHING_WINDOW = Duration.seconds(1);

/** A new query reads everything retained; LATEST would silently skip records put before deploy. */
export const DEFAULT_STARTING_POSITION = StartingPosition.TRIM_HORIZON;

/**
 * The only accepted parallelization factor: one invocation in flight per shard is the engine's
 * single-writer contract (DESIGN.md, "One writer per shard").
 */
export const REQUIRED_PARALLELIZATION_FACTOR = 1;

/** Failed invocations are retried from the first unprocessed record (the WAL makes retries safe). */
export const DEFAULT_RETRY_ATTEMPTS = 500;

/** Same as the default retention: records are retried for as long as Kinesis keeps them. */
export const DEFAULT_MAX_RECORD_AGE = Duration.hours(24);

/** Split a failing batch to isolate the cause; any subset is safe to redeliver. */
export const DEFAULT_BISECT_BATCH_ON_ERROR = true;

/** State and outputs outlive a `cdk destroy` unless asked otherwise. */
export const DEFAULT_REMOVAL_POLICY = RemovalPolicy.RETAIN;

/** Outputs are rewritten byte-identically by replays, so object versions add cost, not safety. */
export const DEFAULT_VERSIONED = false;

/** Dead letters (bad records with their bytes and reason) stay a month for inspection and replay. */
export const DEFAULT_DEAD_LETTER_EXPIRATION = Duration.days(30);
/** Late rows are looked at like dead letters, so they are kept as long. */
export const DEFAULT_LATE_ROWS_EXPIRATION = Duration.days(30);

/** Per-batch progress records stay a week (`sluice status` reads recent ones). */
export const DEFAULT_PROGRESS_EXPIRATION = Duration.days(7);

/**
 * Versions of `_state/` objects the store deleted (superseded chains, attempts that never
 * committed: `changelog-cleanup.ts`) in a versioned bucket. Nothing reads them: a commit names
 * current objects only. Current state objects never expire by age: a quiet shard's snapshot can
 * be months old and still be its state.
 */
export const DEFAULT_STATE_NONCURRENT_EXPIRATION = Duration.days(1);

/** Multipart uploads a crashed batch left behind; the replay writes the object again anyway. */
export const DEFAULT_ABORT_INCOMPLETE_UPLOADS = Duration.days(1);

/** CloudWatch namespace of the metrics the handler publishes (Powertools). */
export const DEFAULT_METRICS_NAMESPACE = 'sluice';

/** Heartbeat tick: EventBridge's smallest rate, so idle windows close within about a minute. */
export const DEFAULT_HEARTBEAT_RATE = Duration.minutes(1);

/** The heartbeat function lists shards, reads a few items and puts a few records. */
export const HEARTBEAT_MEMORY_MB = 256;
export const HEARTBEAT_TIMEOUT = Duration.seconds(30);

/** Falling this far behind the stream's tip means the query is not keeping up. */
export const DEFAULT_ITERATOR_AGE_THRESHOLD = Duration.minutes(5);

/** The handler reports failures as data; a thrown error or timeout is always worth a look. */
export const DEFAULT_ERRORS_THRESHOLD = 1;

/** Any dead letter means a producer sends records the query cannot read. */
export const DEFAULT_DEAD_LETTERS_THRESHOLD = 1;

/** The CloudWatch period of the errors and dead-letter alarms. */
export const DEFAULT_ALARM_PERIOD = Duration.minutes(5);

/** Glue table format; the example queries write Parquet. */
export const DEFAULT_GLUE_FORMAT = 'parquet';

/** Query names: as the plan checker accepts them (engine/plan/rules/query-name.ts). */
export const QUERY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const MAX_QUERY_NAME_LENGTH = 128;

/** S3 prefix: path segments of the characters `SLUICE_PREFIX` allows, no leading/trailing `/`. */
export const PREFIX_PATTERN = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** A CloudWatch dashboard per query: cheap (a few dollars a month) and the first place to look. */
export const DEFAULT_DASHBOARD = true;

/** Failed batch attempts per period that raise the batch-failures alarm (any). */
export const DEFAULT_BATCH_FAILURES_THRESHOLD = 1;

/** Periods in a row with stalled invocations before the stuck-shard alarm fires (15 minutes by default). */
export const DEFAULT_STUCK_SHARD_PERIODS = 3;

/** Rows dropped as late per period that raise the late-rows alarm (any: late data is worth a look). */
export const DEFAULT_LATE_ROWS_THRESHOLD = 1;

/** Records found in input gaps per period that raise the input-gap alarm (any: Lambda gave up on records). */
export const DEFAULT_GAP_RECORDS_THRESHOLD = 1;
