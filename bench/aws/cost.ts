/**
 * Cost per million events from what a batch measurably costs (bench/aws/requests.ts: requests
 * by operation, DynamoDB units counted from item sizes, handler duration) at the list prices of
 * prices.ts, next to an always-on Managed Service for Apache Flink application at a stated
 * steady rate. Kinesis (shard-hours and PUT payload units) is the same for all three and shown
 * as a common base.
 */
import { PRICES } from './prices.js';
import type { BatchFigures } from './requests.js';

export interface CostLine {
  readonly item: string;
  /** Dollars per million events. */
  readonly usd: number;
  readonly detail: string;
}

export interface SystemCost {
  readonly name: string;
  readonly lines: readonly CostLine[];
  /** Without the Kinesis base. */
  readonly total: number;
}

export interface CostInputs {
  /** Records per batch (invocation). */
  readonly records: number;
  readonly memoryMb: number;
  /**
   * Lambda duration from the handler-path benchmark instead of the batch time measured on the
   * emulators (which includes the emulators' own CPU on a shared machine).
   */
  readonly handlerPath?: HandlerPathDuration;
}

/** The handler path's CPU per event and the wait per AWS call that a duration model adds to it. */
export interface HandlerPathDuration {
  /** Handler-path CPU time per event (ms), measured beside the decode floor. */
  readonly cpuMsPerEvent: number;
  /** Assumed wait per AWS call in the same region (ms); every call is counted as awaited alone. */
  readonly msPerAwsCall: number;
}

/**
 * Lambda gives a function one vCPU's worth of CPU at 1,769 MB and proportionally less below it
 * (AWS Lambda developer guide, "Configuring Lambda function memory"), so CPU-bound work at
 * 1,024 MB takes 1,769 / 1,024 times its CPU time.
 */
export const LAMBDA_MB_PER_VCPU = 1769;

/**
 * A batch's Lambda duration from the handler path: its CPU time stretched to the memory size's
 * CPU share, plus every AWS call of the batch awaited one after another (an upper bound for the
 * network part: the handler overlaps the calls of a phase).
 */
export function modelledBatchMs(batch: BatchFigures, inputs: CostInputs, model: HandlerPathDuration): number {
  const calls = Object.values(batch.traffic.requests).reduce((sum, n) => sum + n, 0);
  const stretch = Math.max(1, LAMBDA_MB_PER_VCPU / inputs.memoryMb);
  return model.cpuMsPerEvent * inputs.records * stretch + calls * model.msPerAwsCall;
}

const S3_PUT_CLASS = new Set([
  'PutObject',
  'CopyObject',
  'ListObjectsV2',
  'ListObjects',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
]);

/** What a Lambda-based system costs per million events, from its average batch. */
export function lambdaCost(name: string, batch: BatchFigures, inputs: CostInputs): SystemCost {
  const batches = 1_000_000 / inputs.records;
  let s3Put = 0;
  let s3Get = 0;
  for (const [op, n] of Object.entries(batch.traffic.requests)) {
    const [service, operation] = op.split('.') as [string, string];
    if (service !== 'S3') continue;
    if (S3_PUT_CLASS.has(operation)) s3Put += n;
    else if (operation !== 'DeleteObject' && operation !== 'DeleteObjects') s3Get += n;
  }
  const batchMs =
    inputs.handlerPath === undefined ? batch.ms : modelledBatchMs(batch, inputs, inputs.handlerPath);
  const gbSeconds = batches * (batchMs / 1000) * (inputs.memoryMb / 1024);
  const wru = batches * batch.traffic.units.wru;
  const rru = batches * batch.traffic.units.rru;
  const lines: CostLine[] = [
    {
      item: 'Lambda requests',
      usd: (batches / 1e6) * PRICES.lambda.perMillionRequests,
      detail: `${fmt(batches)} invocations`,
    },
    {
      item: 'Lambda duration',
      usd: gbSeconds * PRICES.lambda.armGbSecond,
      detail:
        `${fmt(gbSeconds)} GB-s (${fmt(batchMs)} ms × ${fmt(batches)} at ${inputs.memoryMb} MB` +
        (inputs.handlerPath === undefined
          ? ')'
          : `, from the handler path; ${fmt(batch.ms)} ms on the emulators)`),
    },
    {
      item: 'DynamoDB writes',
      usd: (wru / 1e6) * PRICES.dynamodb.perMillionWru,
      detail: `${fmt(wru)} WRU`,
    },
    {
      item: 'DynamoDB reads',
      usd: (rru / 1e6) * PRICES.dynamodb.perMillionRru,
      detail: `${fmt(rru)} RRU (strongly consistent)`,
    },
    {
      item: 'S3 requests',
      usd:
        ((batches * s3Put) / 1000) * PRICES.s3.perThousandPut +
        ((batches * s3Get) / 1000) * PRICES.s3.perThousandGet,
      detail: `${fmt(batches * s3Put)} PUT, ${fmt(batches * s3Get)} GET`,
    },
  ];
  return { name, lines, total: lines.reduce((sum, line) => sum + line.usd, 0) };
}

/** One always-on Flink application (1 KPU + the orchestration KPU) at `eventsPerSecond`. */
export function flinkCost(eventsPerSecond: number, kpus = 1): SystemCost {
  const billedKpus = kpus + PRICES.flink.orchestrationKpus;
  const perHour =
    billedKpus * PRICES.flink.kpuHour +
    (kpus * PRICES.flink.storageGbPerKpu * PRICES.flink.storageGbMonth) / PRICES.hoursPerMonth;
  const millionsPerHour = (eventsPerSecond * 3600) / 1e6;
  return {
    name: 'Flink',
    lines: [
      {
        item: 'KPU-hours',
        usd: (billedKpus * PRICES.flink.kpuHour) / millionsPerHour,
        detail: `${billedKpus} KPU × $${PRICES.flink.kpuHour}/h ÷ ${fmt(millionsPerHour, 2)} M events/h`,
      },
      {
        item: 'running storage',
        usd: (perHour - billedKpus * PRICES.flink.kpuHour) / millionsPerHour,
        detail: `${kpus * PRICES.flink.storageGbPerKpu} GB × $${PRICES.flink.storageGbMonth}/GB-month`,
      },
    ],
    total: perHour / millionsPerHour,
  };
}

/** Kinesis per million events at a steady rate: shard-hours (1,000 records/s per shard) + PUT units. */
export function kinesisBase(eventsPerSecond: number, recordBytes: number): CostLine[] {
  const shards = Math.max(
    1,
    Math.ceil(eventsPerSecond / 1000),
    Math.ceil((eventsPerSecond * recordBytes) / 1e6),
  );
  const millionsPerHour = (eventsPerSecond * 3600) / 1e6;
  const unitsPerRecord = Math.max(1, Math.ceil(recordBytes / 25_600));
  return [
    {
      item: 'Kinesis shard-hours',
      usd: (shards * PRICES.kinesis.shardHour) / millionsPerHour,
      detail: `${shards} shard(s) at ${fmt(eventsPerSecond)} events/s`,
    },
    {
      item: 'Kinesis PUT payload units',
      usd: unitsPerRecord * PRICES.kinesis.perMillionPutUnits,
      detail: `${unitsPerRecord} unit per record (${recordBytes} B)`,
    },
  ];
}

/**
 * Kinesis in on-demand mode, per million events: the stream-hour, the records written (each
 * rounded up to 1 KB, as Kinesis bills them) and read once by the query's function (assumed
 * rounded the same way; one consumer).
 */
export function kinesisOnDemand(eventsPerSecond: number, recordBytes: number): CostLine[] {
  const millionsPerHour = (eventsPerSecond * 3600) / 1e6;
  const gbPerMillion = (1e6 * Math.ceil(recordBytes / 1024) * 1024) / 2 ** 30;
  return [
    {
      item: 'Kinesis on-demand stream-hours',
      usd: PRICES.kinesis.onDemandStreamHour / millionsPerHour,
      detail: `1 stream at ${fmt(eventsPerSecond)} events/s`,
    },
    {
      item: 'Kinesis on-demand data in and out',
      usd: gbPerMillion * (PRICES.kinesis.onDemandIngestGb + PRICES.kinesis.onDemandRetrievalGb),
      detail: `${fmt(gbPerMillion, 2)} GB in and out (1 KB per record)`,
    },
  ];
}

/** The steady rate at which the Flink application costs as much per event as `perMillion`. */
export function flinkBreakEven(perMillion: number): number {
  const flinkAt1 = flinkCost(1).total; // dollars per million events at 1 event/s
  return flinkAt1 / perMillion;
}

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
