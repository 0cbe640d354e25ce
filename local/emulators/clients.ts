import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { EmulatorClients, EmulatorCredentials, ServiceName } from './types.js';

/** Settings shared by every client the harness builds. */
export interface ClientSettings {
  readonly region: string;
  readonly credentials: EmulatorCredentials;
  /** SDK attempts per call; the readiness probes use 1 so that they poll instead of backing off. */
  readonly maxAttempts?: number;
  /** Per-request socket timeout in ms; the probes keep it short. */
  readonly requestTimeoutMs?: number;
}

function handler(settings: ClientSettings): NodeHttpHandler {
  // The emulators speak plain HTTP/1.1; the Kinesis client would otherwise default to HTTP/2.
  return new NodeHttpHandler(
    settings.requestTimeoutMs === undefined
      ? {}
      : { requestTimeout: settings.requestTimeoutMs, connectionTimeout: settings.requestTimeoutMs },
  );
}

function base(endpoint: string, settings: ClientSettings) {
  return {
    endpoint,
    region: settings.region,
    credentials: { ...settings.credentials },
    requestHandler: handler(settings),
    ...(settings.maxAttempts === undefined ? {} : { maxAttempts: settings.maxAttempts }),
  };
}

/** A Kinesis client for a plain-HTTP emulator endpoint. */
export function kinesisClient(endpoint: string, settings: ClientSettings): KinesisClient {
  return new KinesisClient(base(endpoint, settings));
}

/** A DynamoDB client for an emulator endpoint. */
export function dynamoDbClient(endpoint: string, settings: ClientSettings): DynamoDBClient {
  return new DynamoDBClient(base(endpoint, settings));
}

/**
 * An S3 client for an emulator endpoint: path-style addressing (no bucket subdomains on
 * 127.0.0.1), and checksums only where S3 requires them. With the SDK's default
 * (`WHEN_SUPPORTED`) a streamed PutObject is sent aws-chunked with a trailing CRC32, and
 * s3rver stores that framing verbatim as the object's bytes.
 */
export function s3Client(endpoint: string, settings: ClientSettings): S3Client {
  return new S3Client({
    ...base(endpoint, settings),
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Builds the four clients for the given endpoints. */
export function createClients(
  endpoints: Readonly<Record<ServiceName, string>>,
  settings: ClientSettings,
): EmulatorClients {
  const dynamodb = dynamoDbClient(endpoints.dynamodb, settings);
  return {
    kinesis: kinesisClient(endpoints.kinesis, settings),
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb),
    s3: s3Client(endpoints.s3, settings),
  };
}

/** Closes the clients' sockets so that servers can stop without waiting for keep-alive timeouts. */
export function destroyClients(clients: EmulatorClients): void {
  clients.documents.destroy();
  clients.dynamodb.destroy();
  clients.kinesis.destroy();
  clients.s3.destroy();
}
