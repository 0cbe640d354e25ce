/**
 * AWS list prices used by the cost estimate: region us-east-1, on-demand, no free tier, as
 * published on the services' pricing pages in 2025 (DynamoDB after the November 2024 on-demand
 * price cut). Prices change: check the pages and edit here; every figure of the cost section is
 * derived from this table and printed next to it.
 */
export const PRICES = {
  region: 'us-east-1',
  asOf: '2025 list prices (aws.amazon.com pricing pages)',
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
  },
  s3: {
    /** PUT, COPY, POST, LIST, per 1,000 requests (S3 Standard). */
    perThousandPut: 0.005,
    /** GET, SELECT and others, per 1,000 requests. */
    perThousandGet: 0.0004,
  },
  kinesis: {
    /** Provisioned mode: 1 MB/s or 1,000 records/s in per shard. */
    shardHour: 0.015,
    /** Per million 25 KB PUT payload units. */
    perMillionPutUnits: 0.014,
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
