import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** The SDK clients the AWS runtime uses. */
export interface AwsClients {
  readonly dynamodb: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly kinesis: KinesisClient;
}

export interface AwsClientOptions {
  readonly region: string;
  /** One endpoint for every service (LocalStack, the local emulators' proxy); `undefined` for AWS. */
  readonly endpoint?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Creates the clients from explicit options. With a custom endpoint the clients speak what
 * emulators understand: HTTP/1.1 for Kinesis, path-style S3, and checksums only when required
 * (s3rver stores streamed checksum trailers as object bytes otherwise).
 */
export function createAwsClients(options: AwsClientOptions): AwsClients {
  const common = {
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
  };
  const local = options.endpoint !== undefined;
  return {
    dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient(common), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    s3: new S3Client({
      ...common,
      ...(local
        ? {
            forcePathStyle: true,
            requestChecksumCalculation: 'WHEN_REQUIRED',
            responseChecksumValidation: 'WHEN_REQUIRED',
          }
        : {}),
    }),
    kinesis: new KinesisClient({ ...common, ...(local ? { requestHandler: new NodeHttpHandler() } : {}) }),
  };
}
