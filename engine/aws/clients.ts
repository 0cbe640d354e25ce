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
  /** Per-service endpoints (e.g. one emulator each); each overrides `endpoint` for its service. */
  readonly endpoints?: { readonly dynamodb?: string; readonly s3?: string; readonly kinesis?: string };
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Creates the clients from explicit options. With a custom endpoint the clients speak what
 * emulators understand: HTTP/1.1 for Kinesis, path-style S3, and checksums only when required
 * (s3rver stores streamed checksum trailers as object bytes otherwise).
 */
export function createAwsClients(options: AwsClientOptions): AwsClients {
  const common = (service: 'dynamodb' | 's3' | 'kinesis') => {
    const endpoint = options.endpoints?.[service] ?? options.endpoint;
    return {
      region: options.region,
      ...(endpoint === undefined ? {} : { endpoint }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    };
  };
  const local = (service: 'dynamodb' | 's3' | 'kinesis') =>
    (options.endpoints?.[service] ?? options.endpoint) !== undefined;
  return {
    dynamodb: DynamoDBDocumentClient.from(new DynamoDBClient(common('dynamodb')), {
      marshallOptions: { removeUndefinedValues: true },
    }),
    s3: new S3Client({
      ...common('s3'),
      ...(local('s3')
        ? {
            forcePathStyle: true,
            requestChecksumCalculation: 'WHEN_REQUIRED',
            responseChecksumValidation: 'WHEN_REQUIRED',
          }
        : {}),
    }),
    kinesis: new KinesisClient({
      ...common('kinesis'),
      ...(local('kinesis') ? { requestHandler: new NodeHttpHandler() } : {}),
    }),
  };
}
