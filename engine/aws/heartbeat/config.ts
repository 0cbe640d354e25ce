import { z } from 'zod';
import { HeartbeatConfigurationError } from './errors.js';

/**
 * The environment variables of the heartbeat function. The StreamingQuery construct sets them;
 * the local runner sets the same ones.
 */
export const HEARTBEAT_ENVIRONMENT = {
  stream: 'SLUICE_STREAM',
  table: 'SLUICE_TABLE',
  query: 'SLUICE_QUERY',
  quietMs: 'SLUICE_QUIET_MS',
} as const;

const environmentSchema = z.object({
  [HEARTBEAT_ENVIRONMENT.stream]: z.string().min(1),
  [HEARTBEAT_ENVIRONMENT.table]: z.string().min(1),
  [HEARTBEAT_ENVIRONMENT.query]: z
    .string()
    .regex(
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      'use letters, digits, ".", "_" and "-", starting with a letter or digit',
    ),
  [HEARTBEAT_ENVIRONMENT.quietMs]: z.coerce.number().int().min(1000, 'use at least 1000 ms (one tick)'),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  AWS_ENDPOINT_URL: z.url('set it to an http(s) URL, or unset it to use AWS').optional(),
});

/** What the heartbeat function needs, validated. */
export interface HeartbeatConfig {
  /** The query's Kinesis stream (name or ARN). */
  readonly streamName: string;
  /** The state table holding the query's checkpoints. */
  readonly tableName: string;
  readonly query: string;
  /** A shard with no committed batch in this many ms is quiet (the tick's period). */
  readonly quietMs: number;
  readonly region: string;
  readonly endpointUrl?: string;
}

const HINTS: Readonly<Record<string, string>> = {
  [HEARTBEAT_ENVIRONMENT.stream]:
    "set it to the query's Kinesis stream name (the StreamingQuery construct does)",
  [HEARTBEAT_ENVIRONMENT.table]:
    'set it to the DynamoDB table holding the checkpoints (the StreamingQuery construct does)',
  [HEARTBEAT_ENVIRONMENT.query]: 'set it to the query name (the StreamingQuery construct does)',
  [HEARTBEAT_ENVIRONMENT.quietMs]: 'set it to the tick period in ms (the StreamingQuery construct does)',
};

/**
 * Validates the heartbeat function's environment once, at cold start: a bad deployment fails
 * loudly on its first tick instead of silently never waking a shard.
 */
export function parseHeartbeatConfig(env: Readonly<Record<string, string | undefined>>): HeartbeatConfig {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    throw new HeartbeatConfigurationError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const value = env[name];
        if (value === undefined || value === '') return `${name} is not set: ${HINTS[name] ?? issue.message}`;
        return `${name}=${JSON.stringify(value)} is invalid: ${issue.message}`;
      }),
    );
  }
  const data = parsed.data;
  return {
    streamName: data[HEARTBEAT_ENVIRONMENT.stream],
    tableName: data[HEARTBEAT_ENVIRONMENT.table],
    query: data[HEARTBEAT_ENVIRONMENT.query],
    quietMs: data[HEARTBEAT_ENVIRONMENT.quietMs],
    region: data.AWS_REGION,
    ...(data.AWS_ENDPOINT_URL === undefined ? {} : { endpointUrl: data.AWS_ENDPOINT_URL }),
  };
}
