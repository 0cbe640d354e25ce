import type { RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULT_REMOVAL_POLICY, DEFAULT_VERSIONED } from './defaults.js';
import { ACKNOWLEDGED_FINDINGS, acknowledge } from './nag.js';

/** Props of {@link OutputBucket}. */
export interface OutputBucketProps {
  /** @default {@link DEFAULT_REMOVAL_POLICY} (RETAIN): outputs outlive the stack */
  readonly removalPolicy?: RemovalPolicy;
  /** @default {@link DEFAULT_VERSIONED} (false): replays rewrite the same bytes, versions add only cost */
  readonly versioned?: boolean;
  /** Where server access logs go. @default none */
  readonly serverAccessLogsBucket?: IBucket;
}

/**
 * The S3 bucket receiving queries' outputs (`PREFIX/QUERY/data|_manifest|_dead|_progress/`):
 * S3-managed encryption, all public access blocked, TLS only (1.2+). Each StreamingQuery adds
 * lifecycle rules for its own prefixes. Pass it to several StreamingQuery constructs to share it;
 * each query's function may read and write only under its own prefix.
 */
export class OutputBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: OutputBucketProps = {}) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: props.versioned ?? DEFAULT_VERSIONED,
      removalPolicy: props.removalPolicy ?? DEFAULT_REMOVAL_POLICY,
      ...(props.serverAccessLogsBucket === undefined
        ? {}
        : { serverAccessLogsBucket: props.serverAccessLogsBucket, serverAccessLogsPrefix: 'access-logs/' }),
    });
    if (props.serverAccessLogsBucket === undefined)
      acknowledge(this.bucket, 'AwsSolutions-S1', ACKNOWLEDGED_FINDINGS.accessLogs);
  }
}
