import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IStream, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import type { StartingPosition } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { QueryDefinition } from '../../engine/api/writer.js';

/** A column of the optional Glue table, with its Hive type (`string`, `bigint`, `double`, `timestamp`, ...). */
export interface GlueColumn {
  readonly name: string;
  readonly type: string;
  /** @default no comment */
  readonly comment?: string;
}

/**
 * An optional Glue table over `s3://BUCKET/PREFIX/QUERY/data/`, so Athena can query the output.
 * Athena reads every data object, manifested or not, and update/complete modes are upsert logs
 * (keep the newest row per key): query accordingly.
 */
export interface GlueTableOptions {
  /** Glue database name (lowercase letters, digits, `_`). */
  readonly database: string;
  /**
   * Create the database; set `false` when another construct or query already created it.
   * @default true
   */
  readonly createDatabase?: boolean;
  /** @default the query name, lowercased, with `-` and `.` turned into `_` */
  readonly tableName?: string;
  /**
   * The output row's columns. With the construct's `query` they are checked against the query's
   * inferred output schema (a mismatch fails synth naming the column and both types).
   * @default inferred from `query` (required when `query` is not given)
   */
  readonly columns?: readonly GlueColumn[];
  /**
   * Hive-style partition columns (`col=value/` folders the sink writes).
   * @default the query's `partitionBy` columns with their inferred types (none without `query`)
   */
  readonly partitionKeys?: readonly GlueColumn[];
  /** The sink's file format. @default the query's (`format('parquet' | 'json')`), else {@link DEFAULT_GLUE_FORMAT} (`parquet`) */
  readonly format?: 'parquet' | 'jsonl';
}

/** Alarm thresholds; every alarm is exposed on the construct for actions. */
export interface StreamingQueryAlarmProps {
  /** Alarm when the oldest unprocessed record is older than this. @default {@link DEFAULT_ITERATOR_AGE_THRESHOLD} (5 minutes) */
  readonly iteratorAge?: Duration;
  /** Alarm at this many function errors per period. @default {@link DEFAULT_ERRORS_THRESHOLD} (1) */
  readonly errors?: number;
  /** Alarm at this many dead letters per period. @default {@link DEFAULT_DEAD_LETTERS_THRESHOLD} (1) */
  readonly deadLetters?: number;
  /** Period of the errors, dead-letter and failed-batch alarms. @default {@link DEFAULT_ALARM_PERIOD} (5 minutes) */
  readonly period?: Duration;
  /** Alarm at this many failed batch attempts (`BatchFailures`) per period. @default {@link DEFAULT_BATCH_FAILURES_THRESHOLD} (1) */
  readonly batchFailures?: number;
  /**
   * Stuck shard: alarm when invocations committed nothing while records waited
   * (`StalledInvocations`) in this many periods in a row. @default {@link DEFAULT_STUCK_SHARD_PERIODS} (3)
   */
  readonly stuckShardPeriods?: number;
  /** Alarm at this many input rows dropped as late (`LateInputRows`) per period. @default {@link DEFAULT_LATE_ROWS_THRESHOLD} (1) */
  readonly lateRows?: number;
  /** Alarm at this many records found in input gaps (`GapRecords`) per period. @default {@link DEFAULT_GAP_RECORDS_THRESHOLD} (1) */
  readonly gapRecords?: number;
  /**
   * With S3 state: alarm when a shard's state in memory (`StateMemoryBytes`, maximum per period)
   * reaches this share of its limit (`stateMemoryFraction` of the function's memory), before
   * batches start failing with `SLUICE_STATE_TOO_LARGE`. @default {@link DEFAULT_STATE_MEMORY_ALARM_SHARE} (0.8)
   */
  readonly stateMemory?: number;
}

/** Props of {@link StreamingQuery}. Only `queryName` is required. */
export interface StreamingQueryProps {
  /**
   * The query name: it keys the S3 prefix (`PREFIX/QUERY/`), the DynamoDB items (`S#QUERY#...`,
   * `C#QUERY`) and the metrics dimension, so it must be safe in all three: letters, digits, `.`,
   * `_`, `-`, starting with a letter or digit, at most 128 characters (as the plan checker demands).
   */
  readonly queryName: string;
  /**
   * The handler file, built with the engine's handler factory.
   * @default `functions/<queryName>.ts` under `projectRoot`
   */
  readonly entry?: string;
  /** The handler's export. @default {@link DEFAULT_HANDLER} (`handler`) */
  readonly handler?: string;
  /**
   * Where `package-lock.json` and `functions/` live (esbuild's working directory).
   * @default {@link DEFAULT_PROJECT_ROOT} (this repository)
   */
  readonly projectRoot?: string;

  /**
   * The query definition (the one the handler file builds). When its plan has an exchange (a
   * stateful operator whose keys do not follow the source's partition key; `explain(query)` shows
   * it), the construct deploys two stages: the query function runs stage 1 on the source stream,
   * and an internal stream (`exchangeShardCount` shards) feeds a stage-2 function built from the
   * same handler file. The construct also reads its output schema, inferred from the source
   * schema through the plan, for the Glue table's columns and partition keys. Its name must be
   * `queryName`.
   * @default none: the query is deployed as one stage, and `glue.columns` must be listed by hand
   */
  readonly query?: QueryDefinition;
  /**
   * Shards of the internal stream of a two-stage query: stage 2's parallelism. Provisioned; it
   * can be changed (or the stream resharded by hand) while the query runs, and powers of two up to
   * 256 spread the exchange's 256 hash buckets evenly. @default {@link DEFAULT_EXCHANGE_SHARD_COUNT} (2)
   */
  readonly exchangeShardCount?: number;
  /**
   * Capacity mode of the internal stream. On-demand lets Kinesis split and merge it with the
   * traffic (stage 2 follows: rows are routed by hash bucket and a child shard takes over from its
   * parents), at on-demand prices; `exchangeShardCount` then does not apply.
   * @default provisioned (`exchangeShardCount` shards)
   */
  readonly exchangeStreamMode?: StreamMode;

  /** An existing stream to read. @default a new stream, encrypted with the AWS-managed KMS key */
  readonly stream?: IStream;
  /**
   * The Kinesis stream of each source, for a query that reads several streams (a join or union of
   * `orders` and `payments` through the exchange, each source its own stage 1): source name →
   * stream. The query function (stage 1) gets one event source mapping per stream, read grants
   * and the handler's `SLUICE_SOURCE_STREAMS`; `stream` is then the first source's. Needs `query`,
   * and every source of it named. @default every source is read from `stream`
   */
  readonly sourceStreams?: Readonly<Record<string, IStream>>;
  /** Capacity mode of a new stream. @default {@link DEFAULT_STREAM_MODE} (provisioned) */
  readonly streamMode?: StreamMode;
  /** Shards of a new provisioned stream. @default {@link DEFAULT_SHARD_COUNT} (1) */
  readonly shardCount?: number;
  /** Retention of a new stream. @default {@link DEFAULT_STREAM_RETENTION} (24 hours) */
  readonly streamRetention?: Duration;

  /** @default {@link DEFAULT_MEMORY_MB} (1024) */
  readonly memorySize?: number;
  /** @default {@link DEFAULT_TIMEOUT} (5 minutes) */
  readonly timeout?: Duration;
  /**
   * Time kept free before the Lambda deadline to commit (`SLUICE_RESERVE_MS`); `timeout` must exceed
   * it by at least 5 seconds (checked with the 10-second default too, when this is unset).
   * @default unset: the function's own default (10 seconds)
   */
  readonly commitReserve?: Duration;
  /**
   * Records per micro-batch inside one invocation (`SLUICE_MAX_RECORDS_PER_BATCH`): an invocation
   * of `batchSize` records commits every this many records, so a timeout or crash loses less work
   * and one batch's memory is bounded. A whole number ≥ 1.
   * @default unset: one micro-batch per invocation
   */
  readonly maxRecordsPerBatch?: number;
  /**
   * Where the query's state lives (`SLUICE_STATE`). `'s3'`: per-batch deltas and snapshots
   * under `PREFIX/QUERY/_state/` in the bucket, named by each DynamoDB commit; the cost of a
   * batch does not grow with the number of keys, and a shard's state must fit the function's
   * memory. `'dynamodb'`: one table item per group key (cost grows with keys touched).
   * @default 's3'
   */
  readonly state?: 's3' | 'dynamodb';
  /**
   * The late-rows side output (`SLUICE_LATE_ROWS`): rows the watermark drops are written to
   * `PREFIX/QUERY/_late/` with the operator and the watermark that dropped them (`sluice query
   * <q> --late`), expiring after `lateRowsExpiration`. On by default: it costs one PUT only in a
   * batch that drops rows, and otherwise a dropped row leaves nothing but a count. Turn it off
   * when many rows are expected to be late and nobody will look at them, or when the rows must not
   * be kept outside the query's outputs; `LateInputRows` and its alarm still count them.
   * @default true
   */
  readonly lateRows?: boolean;
  /**
   * Gap detection (`SLUICE_GAP_CHECK`): when an event starts after records the event source
   * mapping never delivered (it gave up on them after `retryAttempts` or `maxRecordAge`), the
   * function reads them back from Kinesis and processes them before the event, and says so
   * (`GapRecords`, the input-gap alarm, `inputGap` in the progress record). It costs one
   * GetShardIterator and one small GetRecords per invocation. @default true
   */
  readonly gapCheck?: boolean;
  /**
   * With S3 state, the share of the function's memory a shard's state may take
   * (`SLUICE_STATE_MEMORY_FRACTION`): a batch that would leave more fails with
   * `SLUICE_STATE_TOO_LARGE` and the shard waits for a fix (more shards, more memory), instead of
   * running out of memory mid-batch. The state-memory alarm fires at
   * `alarms.stateMemory` of this limit first. At most 0.9.
   * @default {@link DEFAULT_STATE_MEMORY_FRACTION} (0.2)
   */
  readonly stateMemoryFraction?: number;
  /**
   * Extra environment variables of the query function. The variables the construct derives from
   * props (`SLUICE_RESERVE_MS`, `SLUICE_MAX_RECORDS_PER_BATCH`, `SLUICE_STATE`, `SLUICE_LATE_ROWS`, `SLUICE_GAP_CHECK`, `SLUICE_TABLE`, `SLUICE_BUCKET`,
   * `SLUICE_PREFIX`) are refused here: set the prop instead.
   * @default none
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** Retention of both functions' log groups. @default {@link DEFAULT_LOG_RETENTION} (one month) */
  readonly logRetention?: RetentionDays;

  /** Records per invocation (1–10000). @default {@link DEFAULT_BATCH_SIZE} (500) */
  readonly batchSize?: number;
  /** @default {@link DEFAULT_MAX_BATCHING_WINDOW} (1 second) */
  readonly maxBatchingWindow?: Duration;
  /** @default {@link DEFAULT_STARTING_POSITION} (TRIM_HORIZON) */
  readonly startingPosition?: StartingPosition;
  /**
   * Must be 1: one invocation per shard at a time is the engine's single-writer contract. Any
   * other value is refused at synth time.
   * @default {@link REQUIRED_PARALLELIZATION_FACTOR} (1)
   */
  readonly parallelizationFactor?: number;
  /** @default {@link DEFAULT_RETRY_ATTEMPTS} (500) */
  readonly retryAttempts?: number;
  /** @default {@link DEFAULT_MAX_RECORD_AGE} (24 hours) */
  readonly maxRecordAge?: Duration;
  /** @default {@link DEFAULT_BISECT_BATCH_ON_ERROR} (true) */
  readonly bisectBatchOnError?: boolean;

  /**
   * A table shared by several queries (create it with {@link StateTable}); each query's function
   * may touch only its own items (`S#QUERY#*`, `C#QUERY`).
   * @default a new {@link StateTable}
   */
  readonly table?: ITable;
  /** Removal policy of the table and bucket this construct creates. @default {@link DEFAULT_REMOVAL_POLICY} (RETAIN) */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * An existing or shared bucket (create it with {@link OutputBucket}). The query's lifecycle rules
   * are added when it is a `Bucket` of this app; an imported bucket keeps its own (a warning says so).
   * @default a new {@link OutputBucket}
   */
  readonly bucket?: IBucket;
  /** Key prefix in the bucket (`SLUICE_PREFIX`). @default {@link DEFAULT_PREFIX} (`sluice`) */
  readonly prefix?: string;
  /** Versioning of a new bucket. @default {@link DEFAULT_VERSIONED} (false) */
  readonly versioned?: boolean;
  /** Server access logs of a new bucket go to this bucket. @default none (CloudTrail data events audit instead) */
  readonly serverAccessLogsBucket?: IBucket;
  /** Expiry of `PREFIX/QUERY/_dead/` objects (whole days). @default {@link DEFAULT_DEAD_LETTER_EXPIRATION} (30 days) */
  readonly deadLetterExpiration?: Duration;
  /** Expiry of `PREFIX/QUERY/_late/` objects (whole days). @default {@link DEFAULT_LATE_ROWS_EXPIRATION} (30 days) */
  readonly lateRowsExpiration?: Duration;
  /** Expiry of `PREFIX/QUERY/_progress/` objects (whole days). @default {@link DEFAULT_PROGRESS_EXPIRATION} (7 days) */
  readonly progressExpiration?: Duration;

  /** CloudWatch namespace of the handler's metrics (`POWERTOOLS_METRICS_NAMESPACE`). @default {@link DEFAULT_METRICS_NAMESPACE} (`sluice`) */
  readonly metricsNamespace?: string;
  /** Alarm thresholds. @default see {@link StreamingQueryAlarmProps} */
  readonly alarms?: StreamingQueryAlarmProps;

  /**
   * Period of the heartbeat tick (whole minutes); also the quiet threshold: a shard that committed
   * no batch within one tick gets a heartbeat record.
   * @default {@link DEFAULT_HEARTBEAT_RATE} (1 minute)
   */
  readonly heartbeatRate?: Duration;

  /** A Glue table over the output for Athena. @default none */
  readonly glue?: GlueTableOptions;

  /**
   * A CloudWatch dashboard for the query (rows in/out, batch duration, watermark delay, iterator
   * age, dead letters, late rows, state rows, errors per shard, event source mapping counts).
   * @default {@link DEFAULT_DASHBOARD} (true)
   */
  readonly dashboard?: boolean;
}
