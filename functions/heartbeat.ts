import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type HeartbeatTick, parseHeartbeatConfig, sendHeartbeats } from '../engine/aws/heartbeat/index.js';

/**
 * The scheduled heartbeat ticker of one query (deployed by the StreamingQuery construct, run every
 * tick by an EventBridge rule, and by the local runner). It puts a heartbeat record into each quiet
 * shard so that shard's query function runs a due no-data batch; it never invokes the query
 * function itself (one writer per shard).
 *
 * The environment is read and validated once, at cold start.
 */
const config = parseHeartbeatConfig(process.env);
const endpoint = config.endpointUrl === undefined ? {} : { endpoint: config.endpointUrl };
// HTTP/1.1 works against AWS and against the local emulators (the Kinesis client defaults to HTTP/2).
const kinesis = new KinesisClient({
  region: config.region,
  requestHandler: new NodeHttpHandler(),
  ...endpoint,
});
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: config.region, ...endpoint }));
const logger = new Logger({ persistentKeys: { query: config.query } });

export const handler = async (): Promise<HeartbeatTick> => {
  const tick = await sendHeartbeats({ kinesis, documents, ...config, nowMs: Date.now() });
  logger.info('heartbeat tick', { openShards: tick.openShards.length, heartbeats: tick.heartbeats });
  return tick;
};
