import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { HEARTBEAT_ENVIRONMENT } from '../../engine/aws/heartbeat/config.js';
import { HEARTBEAT_ENTRY, HEARTBEAT_MEMORY_MB, HEARTBEAT_TIMEOUT } from './defaults.js';
import { grantHeartbeatFunction } from './grants.js';
import { createSluiceFunction, type SluiceFunction } from './lambda.js';

/** EventBridge redelivery of a missed tick: a couple of tries, never older than one tick. */
const TICK_RETRY_ATTEMPTS = 2;
/** EventBridge keeps an undelivered event at most this long. */
const MAX_EVENT_AGE = Duration.hours(24);

/** The heartbeat ticker of one query. */
export interface Heartbeat extends SluiceFunction {
  readonly rule: Rule;
}

/**
 * The scheduled tick that keeps quiet shards moving: every `rate`, a small function
 * (`functions/heartbeat.ts`, shipped with sluice) puts one heartbeat record into each open shard that committed no
 * batch within the last tick. The query function then runs through its event source mapping as
 * usual and does a due no-data batch (close windows, fire processing-time timeouts). The ticker
 * never invokes the query function: one writer per shard.
 */
export function createHeartbeat(
  scope: Construct,
  target: {
    readonly query: string;
    readonly stream: IStream;
    readonly table: ITable;
    readonly rate: Duration;
    readonly projectRoot: string;
    readonly logRetention: RetentionDays;
    readonly powertools: Readonly<Record<string, string>>;
    /** Construct id prefix: `Heartbeat` for the first source stream, one of its own per further stream. */
    readonly id?: string;
  },
): Heartbeat {
  const id = target.id ?? 'Heartbeat';
  const ticker = createSluiceFunction(scope, `${id}Function`, {
    description: `sluice heartbeat ticker of query ${target.query}`,
    entry: HEARTBEAT_ENTRY,
    handler: 'handler',
    projectRoot: target.projectRoot,
    memorySize: HEARTBEAT_MEMORY_MB,
    timeout: HEARTBEAT_TIMEOUT,
    logRetention: target.logRetention,
    environment: {
      [HEARTBEAT_ENVIRONMENT.stream]: target.stream.streamName,
      [HEARTBEAT_ENVIRONMENT.table]: target.table.tableName,
      [HEARTBEAT_ENVIRONMENT.query]: target.query,
      [HEARTBEAT_ENVIRONMENT.quietMs]: String(target.rate.toMilliseconds()),
      ...target.powertools,
    },
    sluice: { query: target.query, role: 'heartbeat' },
  });
  grantHeartbeatFunction(ticker.fn, target);
  const rule = new Rule(scope, `${id}Schedule`, {
    description: `sluice heartbeat tick of query ${target.query}`,
    schedule: Schedule.rate(target.rate),
    targets: [
      new LambdaFunction(ticker.fn, {
        retryAttempts: TICK_RETRY_ATTEMPTS,
        maxEventAge: Duration.seconds(Math.min(target.rate.toSeconds(), MAX_EVENT_AGE.toSeconds())),
      }),
    ],
  });
  return { ...ticker, rule };
}
