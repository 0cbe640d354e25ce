/**
 * AWS list prices used by the cost estimate: region us-east-1, on-demand, no free tier, as
 * published on the services' pricing pages (DynamoDB after the November 2024 on-demand price
 * cut). Prices change: check the pages and edit here; every figure of the cost section is
 * derived from this table and printed next to it.
 *
 * Checked 2026-12-07 (no change found): DynamoDB on-demand WRU/RRU against the pricing page as
 * quoted in July 2025; Kinesis on-demand (stream-hour, GB in, GB out) against the AWS Price List
 * API's `AmazonKinesis` SKUs (`OnDemandStreamHr`, `OnDemandDataIngested`, `OnDemandDataRetrieval`);
 * the others (Lambda arm64, S3 Standard requests and storage, DynamoDB storage, Kinesis
 * provisioned, Flink KPU) are the long-standing us-east-1 list prices, not re-read this time.
 */
export const PRICES = {
  region: 'us-east-1',
  asOf: 'list prices as of 2026-12-07 (aws.amazon.com pricing pages; see bench/aws/prices.ts for what was checked)',
  lambda: {
    /** arm64, per GB-second (first 7.5 billion GB-s a month). */
    armGbSecond: 0.0000133334,
    perMillionRequests: 0.2,
  },
  dynamodb: {
    /** On-demand write request unit (1 KB standard write). */
    perMillionWru: 0.625,
    /** On-demand read request unit (4 KB strongly consistent read). */
    perMillionRru: 0.125,
    /** Standard table class storage, per GB-month (first 25 GB free; not counted). */
    storageGbMonth: 0.25,
  },
  s3: {
    /** PUT, COPY, POST, LIST, per 1,000 requests (S3 Standard). */
    perThousandPut: 0.005,
    /** GET, SELECT and others, per 1,000 requests. */
    perThousandGet: 0.0004,
    /** S3 Standard storage, first 50 TB, per GB-month. */
    storageGbMonth: 0.023,
  },
  kinesis: {
    /** Provisioned mode: 1 MB/s or 1,000 records/s in per shard. */
    shardHour: 0.015,
    /** Per million 25 KB PUT payload units. */
    perMillionPutUnits: 0.014,
    /** On-demand (Standard) mode: per stream-hour. */
    onDemandStreamHour: 0.04,
    /** On-demand: per GB written, each record rounded up to 1 KB. */
    onDemandIngestGb: 0.08,
    /** On-demand: per GB read by standard (shared-throughput) consumers. */
    onDemandRetrievalGb: 0.04,
  },
  flink: {
    /** Managed Service for Apache Flink, per KPU-hour (1 vCPU, 4 GB). */
    kpuHour: 0.11,
    /** Every application pays one more KPU for orchestration. */
    orchestrationKpus: 1,
    /** Running application storage, 50 GB per KPU, per GB-month. */
    storageGbMonth: 0.1,
    storageGbPerKpu: 50,
  },
  hoursPerMonth: 730,
} as const;
