import type { AwsClients } from '../../engine/aws/clients.js';

/** Where one query lives: what the commands need to read its checkpoints and outputs. */
export interface QueryLocation {
  readonly name: string;
  /** DynamoDB table with the checkpoints; `undefined` when not configured. */
  readonly table?: string;
  /** S3 bucket with the outputs; `undefined` when not configured. */
  readonly bucket?: string;
  readonly prefix: string;
  /** The Kinesis stream the query reads; `undefined` when not configured. */
  readonly stream?: string;
  /** The query's source names, which `push` accepts in place of the stream name. */
  readonly sources: readonly string[];
  /** The field producers use as partition key, when the query declares it. */
  readonly partitionKey?: string;
  /** Result-row key columns for update/complete mode, when known. */
  readonly keyColumns?: readonly string[];
  /**
   * A two-stage query's internal stream: stage 1 (checkpoints `<name>.stage-1`) reads `stream`,
   * stage 2 (checkpoints `<name>`) reads this one.
   */
  readonly exchangeStream?: string;
}

/**
 * What the commands talk to: the local stack (from `.sluice/local.json`) or AWS (standard
 * environment and profiles, resources from flags or `SLUICE_*` variables).
 */
export interface Target {
  readonly mode: 'local' | 'aws';
  /** For messages: "the local stack" or "AWS (us-east-1)". */
  readonly where: string;
  readonly region: string;
  readonly clients: AwsClients;
  /** Service endpoints, when not AWS's own. */
  readonly endpoints?: { readonly kinesis: string; readonly dynamodb: string; readonly s3: string };
  /** Queries known up front (the local stack's; on AWS only one named by flags). */
  readonly knownQueries: readonly QueryLocation[];
  /** The query by name; throws UnknownQueryError locally; on AWS builds it from the flags. */
  query(name: string): QueryLocation;
  /** What a fix should say to bring this target's services up. */
  readonly startHint: string;
  /** Closes the clients' sockets. */
  close(): void;
}
