import { z } from 'zod';
import { SluiceError } from '../engine/errors.js';

/**
 * The environment a sluice function runs with. The CDK construct sets these; the local runner
 * sets the same ones. Read once at cold start; a bad value fails the cold start with an error
 * naming the variable and the fix.
 */
/** The handler's commit reserve when `SLUICE_RESERVE_MS` is unset (the construct validates against it). */
export const DEFAULT_RESERVE_MS = 10_000;

const environmentSchema = z.object({
  SLUICE_TABLE: z.string().min(1),
  SLUICE_BUCKET: z.string().min(1),
  SLUICE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._\-/]*$/, 'use letters, digits, ".", "_", "-" and "/" only')
    .default('sluice'),
  SLUICE_RESERVE_MS: z.coerce
    .number()
    .int()
    .min(1000, 'keep at least 1000 ms to commit before Lambda times out')
    .default(DEFAULT_RESERVE_MS),
  // Where state lives: a changelog in the bucket (default) or one DynamoDB item per group key.
  SLUICE_STATE: z.enum(['s3', 'dynamodb'], "use 's3' (the default) or 'dynamodb'").default('s3'),
  // Records per micro-batch inside one invocation (the handler's maxRecordsPerBatch); unset: one
  // batch per invocation. Smaller batches commit more often and bound the memory of one batch.
  SLUICE_MAX_RECORDS_PER_BATCH: z.coerce
    .number()
    .int('use a whole number of records')
    .min(1, 'use at least 1, or unset it for one batch per invocation')
    .optional(),
  // The late-rows side output: rows the watermark drops are written under PREFIX/QUERY/_late/
  // (on, the default) or only counted (off).
  SLUICE_LATE_ROWS: z.enum(['on', 'off'], "use 'on' (the default) or 'off'").default('on'),
  // The internal stream of a query that runs as two stages around an exchange (the construct
  // creates it and sets this); the handler runs stage 2 for its records.
  SLUICE_EXCHANGE_STREAM: z
    .string()
    .min(1, 'set it to the internal stream name or ARN, or unset it')
    .optional(),
  // Which Kinesis stream each source of a two-stage query is read from when they are not all one
  // stream (a join of two streams): `orders=orders-stream,payments=<ARN>` (the construct sets it).
  SLUICE_SOURCE_STREAMS: z
    .string()
    .regex(
      /^[^=,]+=[^=,]+(,[^=,]+=[^=,]+)*$/,
      'use source=stream pairs separated by commas, e.g. orders=orders-stream,payments=payments-stream',
    )
    .transform((value) =>
      Object.fromEntries(
        value.split(',').map((pair) => {
          const at = pair.indexOf('=');
          return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
        }),
      ),
    )
    .optional(),
  // Gap detection: records the event source mapping never delivered after the committed position
  // are read back from Kinesis and processed (on, the default), or not looked for (off).
  SLUICE_GAP_CHECK: z.enum(['on', 'off'], "use 'on' (the default) or 'off'").default('on'),
  // The query's run (Spark's runId): the construct sets the code's asset hash, so a deployment of
  // new code restarts each input's watermark from new data (the global one carries over).
  SLUICE_RUN_ID: z.string().min(1, 'set it to an id of the deployment, or unset it').optional(),
  // A shard's state (S3 state) may take this share of the function's memory; a batch that would
  // leave more fails with SLUICE_STATE_TOO_LARGE, naming the fix (more shards, more memory).
  SLUICE_STATE_MEMORY_FRACTION: z.coerce
    .number()
    .gt(0, 'use a share of memory above 0, e.g. 0.2')
    .max(0.9, 'keep at least 10% of the memory for the batch itself and snapshots, e.g. 0.2')
    .default(0.2),
  // Set by Lambda: the function's memory in MB (unset when run outside Lambda: no state limit).
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: z.coerce.number().int().min(128).optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ENDPOINT_URL: z.url('set it to an http(s) URL, or unset it to use AWS').optional(),
  // One endpoint per service (the SDK's service-specific variables), e.g. the local emulators.
  AWS_ENDPOINT_URL_DYNAMODB: z.url('set it to an http(s) URL, or unset it').optional(),
  AWS_ENDPOINT_URL_S3: z.url('set it to an http(s) URL, or unset it').optional(),
  AWS_ENDPOINT_URL_KINESIS: z.url('set it to an http(s) URL, or unset it').optional(),
});

export type FunctionConfig = z.infer<typeof environmentSchema>;

/** A function's environment is missing or wrong. */
export class ConfigurationError extends SluiceError {
  constructor(problems: string[]) {
    super(
      'SLUICE_CONFIGURATION',
      `Invalid function configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      {
        context: { problems },
      },
    );
  }
}

/** What to do about a missing or empty variable. */
const HINTS: Readonly<Record<string, string>> = {
  SLUICE_TABLE:
    'set it to the DynamoDB table holding state and checkpoints (the StreamingQuery construct does)',
  SLUICE_BUCKET: 'set it to the S3 bucket receiving outputs (the StreamingQuery construct does)',
};

/** Validates the environment; every problem names its variable and the fix. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): FunctionConfig {
  const parsed = environmentSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  throw new ConfigurationError(
    parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      const value = env[name];
      if (value === undefined || value === '') return `${name} is not set: ${HINTS[name] ?? issue.message}`;
      return `${name}=${JSON.stringify(value)} is invalid: ${issue.message}`;
    }),
  );
}

/** The variable names, for the CDK construct and the local runner. */
export const ENVIRONMENT_VARIABLES = {
  table: 'SLUICE_TABLE',
  bucket: 'SLUICE_BUCKET',
  prefix: 'SLUICE_PREFIX',
  reserveMs: 'SLUICE_RESERVE_MS',
  maxRecordsPerBatch: 'SLUICE_MAX_RECORDS_PER_BATCH',
  state: 'SLUICE_STATE',
  lateRows: 'SLUICE_LATE_ROWS',
  exchangeStream: 'SLUICE_EXCHANGE_STREAM',
  sourceStreams: 'SLUICE_SOURCE_STREAMS',
  gapCheck: 'SLUICE_GAP_CHECK',
  stateMemoryFraction: 'SLUICE_STATE_MEMORY_FRACTION',
  runId: 'SLUICE_RUN_ID',
} as const;
