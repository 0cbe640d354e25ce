import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Which Kinesis emulator to run: `kinesalite` is fast, `kinesis-local` (kinesis-mock) is faithful but slow. */
export type KinesisEngine = 'kinesalite' | 'kinesis-local';

/** Everything the harness can start or point at; errors name one of these. */
export type EmulatorName = KinesisEngine | 'dynalite' | 's3rver' | 'localstack' | 'endpoint';

/** The AWS services the harness provides. */
export type ServiceName = 'kinesis' | 'dynamodb' | 's3';

/** Where the services come from. */
export type Backend = 'emulators' | 'localstack' | 'endpoint';

/** Static credentials the emulators accept. */
export interface EmulatorCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The SDK v3 clients, configured for the emulators (plain HTTP/1.1, path-style S3). */
export interface EmulatorClients {
  readonly kinesis: KinesisClient;
  readonly dynamodb: DynamoDBClient;
  /** Document client over `dynamodb` (default marshalling options). */
  readonly documents: DynamoDBDocumentClient;
  readonly s3: S3Client;
}

/** Running services: clients, the settings to build more clients, and `stop()`. */
export interface Emulators {
  readonly backend: Backend;
  /** The Kinesis implementation behind `endpoints.kinesis` (`undefined` for LocalStack or an endpoint). */
  readonly kinesisEngine: KinesisEngine | undefined;
  readonly region: string;
  readonly credentials: EmulatorCredentials;
  /** Base URLs, e.g. `http://127.0.0.1:41234`. */
  readonly endpoints: Readonly<Record<ServiceName, string>>;
  readonly clients: EmulatorClients;
  /** Milliseconds from start until each emulator answered its first real API call. */
  readonly startupMs: Readonly<Partial<Record<EmulatorName, number>>>;
  /** Destroys the clients, stops every emulator and frees its ports and files. Idempotent. */
  stop(): Promise<void>;
}

/** One started emulator process or server, as the launchers return it. */
export interface RunningEmulator {
  readonly name: EmulatorName;
  readonly endpoint: string;
  /** Milliseconds from the launch call until the emulator answered its first real API call. */
  readonly startupMs: number;
  /** Frees the port(s), the process and any files. Idempotent. */
  stop(): Promise<void>;
}

/** Options every launcher understands. */
export interface LaunchOptions {
  readonly region: string;
  readonly credentials: EmulatorCredentials;
  /** How long to wait for the first successful API call. */
  readonly startTimeoutMs: number;
}
