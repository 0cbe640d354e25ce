/** A Kinesis stream created from the template. */
export interface LocalStream {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly shardCount: number;
  /** The template's capacity mode; an on-demand stream gets a fixed local shard count. */
  readonly mode: 'PROVISIONED' | 'ON_DEMAND';
}

/** A DynamoDB table created from the template. */
export interface LocalTable {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
}

/** An S3 bucket created from the template. */
export interface LocalBucket {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
}

/** What a sluice function does (the `sluice:role` metadata). */
export type FunctionRole = 'query' | 'heartbeat';

/** A Lambda function of the template, with what the runner needs to host it. */
export interface LocalFunction {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** Absolute path of the TypeScript entry (`sluice:entry`), or `undefined` without metadata. */
  readonly entry: string | undefined;
  /** The handler's export: the part of `Handler` after the last `.`. */
  readonly exportName: string;
  /** `sluice:query`, when present. */
  readonly query: string | undefined;
  /** `sluice:role`, when present. */
  readonly role: FunctionRole | undefined;
  /** `Timeout` (CloudFormation's default: 3 s). */
  readonly timeoutMs: number;
  /** `MemorySize` (CloudFormation's default: 128 MB). */
  readonly memoryMb: number;
  readonly runtime: string | undefined;
  /** The template's environment, with `Ref`/`Fn::GetAtt` resolved to the local resources. */
  readonly environment: Readonly<Record<string, string>>;
  /** The execution role's ARN (Lambda puts it in each Kinesis record's `invokeIdentityArn`). */
  readonly roleArn: string;
}

/** Where a Kinesis event source mapping starts reading a shard it has no checkpoint for. */
export type StartingPosition = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

/**
 * A Kinesis event source mapping, read from its template properties with CloudFormation's
 * defaults for absent ones. `-1` means unlimited for retries and record age.
 */
export interface LocalEventSourceMapping {
  readonly logicalId: string;
  readonly functionLogicalId: string;
  readonly streamLogicalId: string;
  readonly streamName: string;
  readonly streamArn: string;
  /** `BatchSize` (default 100). */
  readonly batchSize: number;
  /** `MaximumBatchingWindowInSeconds` × 1000 (default 0). */
  readonly maxBatchingWindowMs: number;
  readonly startingPosition: StartingPosition;
  /** `StartingPositionTimestamp` × 1000, for AT_TIMESTAMP. */
  readonly startingPositionTimestampMs: number | undefined;
  /** `MaximumRetryAttempts` (default -1: until the record expires). */
  readonly maxRetryAttempts: number;
  /** `MaximumRecordAgeInSeconds` × 1000 (default -1: never discard by age). */
  readonly maxRecordAgeMs: number;
  /** `BisectBatchOnFunctionError` (default false). */
  readonly bisectBatchOnFunctionError: boolean;
  /** `FunctionResponseTypes` contains `ReportBatchItemFailures`. */
  readonly reportBatchItemFailures: boolean;
  /** `DestinationConfig.OnFailure.Destination`, resolved (kept locally, see the runner). */
  readonly onFailureDestination: string | undefined;
  /** `Enabled` (default true). */
  readonly enabled: boolean;
}

/** A scheduled EventBridge rule that targets functions of the template. */
export interface LocalSchedule {
  readonly logicalId: string;
  readonly expression: string;
  readonly rateMs: number;
  readonly functionLogicalIds: readonly string[];
  readonly enabled: boolean;
}

/** The resources of one sluice query: what tests push to and read from. */
export interface LocalQuery {
  readonly query: string;
  readonly stream: string;
  readonly streamArn: string;
  readonly shardCount: number;
  readonly table: string;
  readonly bucket: string;
  /** `SLUICE_PREFIX`: outputs are under `s3://BUCKET/PREFIX/QUERY/`. */
  readonly prefix: string;
  readonly queryFunction: string;
  readonly heartbeatFunction: string | undefined;
  /**
   * A two-stage query: the internal stream between its stages and the stage-2 function mapped to
   * it (`queryFunction` is then stage 1, mapped to `stream`).
   */
  readonly exchange?: { readonly stream: string; readonly stageTwoFunction: string };
  /**
   * A query whose stage 1s read several Kinesis streams (`StreamingQuery`'s `sourceStreams`): every
   * stream mapped to its query function, `stream` first. Absent: `stream` is the only one.
   */
  readonly sourceStreams?: readonly string[];
}

/** Everything provisioning created and read, by logical id (and queries by name). */
export interface LocalResources {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  readonly streams: Readonly<Record<string, LocalStream>>;
  readonly tables: Readonly<Record<string, LocalTable>>;
  readonly buckets: Readonly<Record<string, LocalBucket>>;
  readonly functions: Readonly<Record<string, LocalFunction>>;
  readonly eventSourceMappings: readonly LocalEventSourceMapping[];
  readonly schedules: readonly LocalSchedule[];
  readonly queries: Readonly<Record<string, LocalQuery>>;
}
