// The generated AWS sections of docs/benchmarks.md: requests, end to end, memory, cost.
import {
  flinkBreakEven,
  flinkCost,
  kinesisBase,
  kinesisOnDemand,
  LAMBDA_MB_PER_VCPU,
  type SystemCost,
} from '../aws/cost.js';
import { PRICES } from '../aws/prices.js';
import type { BatchFigures } from '../aws/requests.js';
import {
  type BenchResults,
  costs,
  e2eRatio,
  HEADLINE,
  handlerPathDuration,
  handlerRatio,
  headlineRow,
  MS_PER_AWS_CALL,
} from '../report.js';
import { findingsMarkdown } from './findings.js';
import { costLineText, fmt, fraction, kb, table, usd } from './format.js';

export function awsMarkdown(results: BenchResults): string {
  const parts: string[] = [];
  parts.push(requestsMarkdown(results));
  parts.push(endToEndMarkdown(results));
  parts.push(memoryMarkdown(results));
  parts.push(costMarkdown(results));
  parts.push(findingsMarkdown(results));
  return parts.filter((part) => part !== '').join('\n\n');
}

export function requestsMarkdown(results: BenchResults): string {
  const out = ['## AWS requests and bytes per batch', ''];
  if (results.requests === undefined) return '';
  if (!results.requests.ok) return [...out, `Not measured: ${results.requests.error}`].join('\n');
  const rows = results.requests.value;
  out.push(
    'One Lambda invocation (one Kinesis batch) of _records_ page views over _keys_ distinct keys, counted per key per ' +
      '1-minute tumbling window (update mode, JSON Lines to S3), on dynalite, kinesalite and s3rver with the real SDK ' +
      'clients. Each batch covers 10 s of event time, so six batches fill a window and one of every six closes one ' +
      '(eviction). sluice: one warm-up batch, then six measured batches (a whole window cycle), averaged; the naive ' +
      'handler (bench/naive/handler.ts: an `UpdateItem ADD count :1` per record, all in flight at once, then one ' +
      '`PutObject` of the touched counts) needs no warm-up and its counts do not depend on state: three batches of ' +
      '100 records, one of 1,000 or 10,000.',
    '',
    '- **requests**: sluice from the progress records the handler writes to S3 (`QueryProgress.requests`, summed over the ' +
      "invocation's batches) and, in brackets, everything the traffic meter saw on its clients — the difference is the " +
      "last progress object's own `PutObject`, written after its record is made. The naive handler: the traffic meter.",
    '- **bytes**: HTTP request + response bodies on the wire (SDK middleware, bench/aws/traffic-meter.ts), per attempt.',
    '- **WRU / RRU**: DynamoDB capacity units counted from item sizes with AWS’s rules (bench/aws/capacity-units.ts): ' +
      'writes per 1 KB, plus one index write per item for the state table’s local secondary index; strongly consistent ' +
      'reads per 4 KB, at least one per key read (also for missing items).',
    '',
  );
  const body = rows.map((row) => {
    const fewer = row.naive.requests / row.sluice.requests;
    const sluiceBytes = row.sluice.traffic.requestBytes + row.sluice.traffic.responseBytes;
    const naiveBytes = row.naive.traffic.requestBytes + row.naive.traffic.responseBytes;
    return [
      fmt(row.records),
      fmt(row.keys),
      `${fmt(row.sluice.progressRequests ?? row.sluice.requests, 1)} (${fmt(row.sluice.requests, 1)})`,
      fmt(row.naive.requests),
      `**${fmt(fewer, 1)}×**`,
      `${kb(row.sluice.traffic.requestBytes)} / ${kb(row.sluice.traffic.responseBytes)}`,
      `${kb(row.naive.traffic.requestBytes)} / ${kb(row.naive.traffic.responseBytes)}`,
      `${fmt(naiveBytes / sluiceBytes, 1)}×`,
      `${fmt(row.sluice.traffic.units.wru)} / ${fmt(row.sluice.traffic.units.rru)}`,
      `${fmt(row.naive.traffic.units.wru)} / ${fmt(row.naive.traffic.units.rru)}`,
      `${fmt(row.sluice.ms)} / ${fmt(row.naive.ms)}`,
    ];
  });
  out.push(
    table(
      [
        'records',
        'keys',
        'sluice requests',
        'naive requests',
        'requests naive ÷ sluice',
        'sluice KB sent / received',
        'naive KB sent / received',
        'bytes naive ÷ sluice',
        'sluice WRU / RRU',
        'naive WRU / RRU',
        'ms sluice / naive',
      ],
      body,
      ['---:', '---:'],
    ),
  );
  const headline = headlineRow(results);
  if (headline) {
    out.push(
      '',
      `Where a sluice batch's requests go (${fmt(HEADLINE.records)} records, ${fmt(HEADLINE.keys)} keys, average of the measured batches; ` +
        `${fmt(headline.sluice.engineBatches ?? 0, 1)} engine batches per invocation):`,
      '',
      operationsTable(headline.sluice),
    );
  }
  return out.join('\n');
}

export function operationsTable(figures: BatchFigures): string {
  const meaning: Record<string, string> = {
    'DynamoDB.GetItem': 'checkpoint read at the start of each batch and again by the state-write fence',
    'DynamoDB.UpdateItem': 'batch-id counter, WAL entry, conditional commit (per engine batch)',
    'DynamoDB.PutItem': 'checkpoint creation (first batch of a shard)',
    'DynamoDB.BatchGetItem': 'state of the groups the batch touches, 100 keys per request',
    'DynamoDB.BatchWriteItem': 'new state versions and eviction tombstones, 25 items per request',
    'DynamoDB.Query': 'expiry index: groups whose window the watermark closed',
    'S3.PutObject': 'data object, manifest and progress object per engine batch',
    'Kinesis.ListShards': 'shard lineage, first invocation of a shard only',
  };
  const rows = Object.entries(figures.traffic.requests)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => [op, fmt(n, 1), meaning[op] ?? '']);
  return table(['request', 'per invocation', 'what for'], rows, ['---', '---:', '---']);
}

export function endToEndMarkdown(results: BenchResults): string {
  if (results.endToEnd === undefined) return '';
  const out = ['## End to end on the emulators', ''];
  if (!results.endToEnd.ok) return [...out, `Not measured: ${results.endToEnd.error}`].join('\n');
  const runs = results.endToEnd.value;
  out.push(
    `Events/s from the first \`PutRecords\` until every record's output is committed, on the same emulators, with the ` +
      'local event-source-mapping runner (`local/runner/`) driving both functions from one CDK stack ' +
      '(bench/aws/stack.ts: the sluice query as a `StreamingQuery`, the naive handler as a plain function with its own ' +
      `stream, table and bucket). Both mappings: batch size ${fmt(results.settings.e2eBatchSize)} (the 6 MB invocation ` +
      `payload cuts batches of these records at about 8,950), batching window 1 s, one invocation per shard in flight, ` +
      `each function instance in its own worker thread of the bench process; the runner polls a shard at its tip every ` +
      `100 ms (Lambda: about 1 s). Records: page views over ${fmt(results.settings.e2eKeys)} keys, pushed with ` +
      '`PutRecords` (500 per call, 4 in flight) while the runner runs. One record per shard warms each function ' +
      'instance up before the clock starts (cold starts are not measured). Done = the runner has read every shard to ' +
      'its tip and nothing is in flight. sluice’s committed output is then read back and checked: the newest count per ' +
      '(window, key) sums to the events pushed.',
    '',
  );
  const body = runs.map((run) => {
    const ratio = e2eRatio(runs, run.shards);
    const handler = handlerRatio(runs, run.shards);
    return [
      fmt(run.shards),
      run.system,
      fmt(run.events),
      fmt(run.seconds, 1),
      `**${fmt(run.eventsPerSecond)}**`,
      run.system === 'sluice' && ratio !== undefined ? `**${fmt(ratio, 1)}×**` : '',
      fmt(run.pushSeconds, 1),
      fmt(run.invocations),
      fmt(run.handlerSeconds, 1),
      fmt((run.handlerSeconds * 1e6) / run.events, 0),
      run.system === 'sluice' && handler !== undefined ? `${fmt(handler, 1)}×` : '',
      run.outputChecked === undefined ? '' : run.outputChecked ? 'yes' : '**no**',
    ];
  });
  out.push(
    table(
      [
        'shards',
        'system',
        'events',
        'seconds',
        'events/s',
        '× naive',
        'pushing took, s',
        'invocations',
        'in the handler, s',
        'handler ms per 1,000 events',
        'handler × naive',
        'output checked',
      ],
      body,
      ['---:', '---'],
    ),
    '',
    '_pushing took_: the `PutRecords` calls of the run, which overlap the processing. _in the handler_: the sum of ' +
      'the invocations’ durations over all shards, from a report line each function prints per invocation ' +
      '(bench/functions/report-line.ts, like Lambda’s `REPORT` line); the rest of the time is Kinesis (the push, ' +
      '`GetRecords`), the runner and waiting for batches. _handler × naive_: handler time per event, naive ÷ sluice.',
  );
  const naiveEvents = runs.find((r) => r.system === 'naive')?.events;
  const sluiceEvents = runs.find((r) => r.system === 'sluice')?.events;
  if (naiveEvents !== undefined && sluiceEvents !== undefined && naiveEvents < sluiceEvents)
    out.push(
      '',
      `The naive handler is run on the first ${fmt(naiveEvents)} events of the same input, not ${fmt(sluiceEvents)}: its ` +
        'cost per event is constant (one `UpdateItem` each), so its rate over fewer events is the same, and the full ' +
        `run would take minutes (\`--naive-events ${fmt(sluiceEvents).replaceAll(',', '')}\` runs all of them).`,
    );
  return out.join('\n');
}

export function memoryMarkdown(results: BenchResults): string {
  if (results.memory === undefined) return '';
  const out = ['## Memory', ''];
  if (!results.memory.ok) return [...out, `Not measured: ${results.memory.error}`].join('\n');
  const runs = results.memory.value;
  const sluice = runs.find((r) => r.system === 'sluice');
  out.push(
    'Peak resident set size (`process.resourceUsage().maxRSS`) of a child process running only the handler ' +
      '(bench/aws/memory-child.ts; the emulators run in other processes), fed 10,000-record Lambda events. ' +
      (sluice
        ? `sluice: keys taken in turn, so its state grows by 10,000 groups per batch to ${fmt(sluice.keys)} groups in one ` +
          `window; then the next window starts and the watermark passes the first one's end, and all ${fmt(sluice.keys)} ` +
          `groups are evicted in one batch (the largest single batch of state work). ${fmt(sluice.batches)} batches. `
        : '') +
      'The naive handler keeps nothing between batches (its state is DynamoDB), so one batch shows its peak. The ' +
      '"before" column is the process after loading Node, the SDK, tsx and the handler, before the first batch ' +
      '(a bundled Lambda starts lower).',
    '',
  );
  out.push(
    table(
      [
        'system',
        'batches',
        'peak RSS MB',
        'RSS before the first batch MB',
        'peak heap used MB',
        'slowest batch ms',
      ],
      runs.map((run) => [
        run.system,
        `${fmt(run.batches)} × ${fmt(run.records)}`,
        `**${fmt(run.maxRssMb)}**`,
        fmt(run.baselineRssMb),
        fmt(run.peakHeapMb),
        fmt(Math.max(...run.batchMs)),
      ]),
      ['---', '---:'],
    ),
  );
  return out.join('\n');
}

export function costMarkdown(results: BenchResults): string {
  const all = costs(results);
  if (all.length === 0) return '';
  const s = results.settings;
  const base = kinesisBase(s.steadyRate, s.recordBytes);
  const baseTotal = base.reduce((sum, line) => sum + line.usd, 0);
  const onDemand = kinesisOnDemand(s.steadyRate, s.recordBytes);
  const onDemandTotal = onDemand.reduce((sum, line) => sum + line.usd, 0);
  const out = ['## Cost per million events', ''];
  out.push(
    `AWS list prices, ${PRICES.region}, ${PRICES.asOf}; on-demand, no free tier (bench/aws/prices.ts):`,
    '',
    table(
      ['service', 'price'],
      [
        [
          'Lambda arm64',
          `$${PRICES.lambda.armGbSecond} per GB-s, $${PRICES.lambda.perMillionRequests} per million requests`,
        ],
        [
          'DynamoDB on-demand',
          `$${PRICES.dynamodb.perMillionWru} per million WRU, $${PRICES.dynamodb.perMillionRru} per million RRU`,
        ],
        [
          'S3 Standard',
          `$${PRICES.s3.perThousandPut} per 1,000 PUT/LIST, $${PRICES.s3.perThousandGet} per 1,000 GET`,
        ],
        [
          'Kinesis Data Streams, provisioned',
          `$${PRICES.kinesis.shardHour} per shard-hour, $${PRICES.kinesis.perMillionPutUnits} per million 25 KB PUT payload units`,
        ],
        [
          'Kinesis Data Streams, on-demand',
          `$${PRICES.kinesis.onDemandStreamHour} per stream-hour, $${PRICES.kinesis.onDemandIngestGb} per GB in (records rounded up to 1 KB), $${PRICES.kinesis.onDemandRetrievalGb} per GB out`,
        ],
        [
          'Storage',
          `S3 Standard $${PRICES.s3.storageGbMonth} per GB-month, DynamoDB $${PRICES.dynamodb.storageGbMonth} per GB-month`,
        ],
        [
          'Managed Service for Apache Flink',
          `$${PRICES.flink.kpuHour} per KPU-hour, +${PRICES.flink.orchestrationKpus} orchestration KPU per application, ` +
            `$${PRICES.flink.storageGbMonth} per GB-month of running storage (${PRICES.flink.storageGbPerKpu} GB per KPU)`,
        ],
      ],
      ['---', '---'],
    ),
    '',
    `sluice and the naive handler: from the requests section's ${fmt(HEADLINE.records)}-record batches (requests by ` +
      'operation, WRU and RRU counted from item sizes), at ' +
      `${s.memoryMb} MB (the \`StreamingQuery\` default, used for both). ` +
      (handlerPathDuration(results) === undefined
        ? "Lambda duration: the batch durations measured there on the emulators (which include the emulators' own latency, so it is an over-estimate for both; run the handler section with the AWS sections to model sluice's from the handler path). "
        : `sluice's Lambda duration comes from the handler-path figure: its CPU time per event (page views, ${fmt(1000)} keys) × the batch, stretched by ${LAMBDA_MB_PER_VCPU} / ${s.memoryMb} (Lambda gives one vCPU at ${fmt(LAMBDA_MB_PER_VCPU)} MB and proportionally less below), plus ${MS_PER_AWS_CALL} ms (assumed, not measured) per AWS call of the batch as if each were awaited alone; the emulator-measured duration is shown beside it. The naive handler's is measured on the emulators (its calls all run at once). `) +
      'The Flink application: always on, 1 KPU + the orchestration KPU, ' +
      'per million events at a steady rate. Kinesis is the same for all three and shown apart, at ' +
      `${fmt(s.steadyRate)} events/s of ${s.recordBytes}-byte records: provisioned, ${base.map(costLineText).join(', ')} = ${usd(baseTotal)} per million events; on-demand, ${onDemand.map(costLineText).join(', ')} = ${usd(onDemandTotal)}.`,
    '',
  );
  const keyHeaders = all.map((c) => `${fmt(c.keys)} keys`);
  const itemRows = (pick: (c: (typeof all)[number]) => SystemCost, label: string) =>
    pick(all[0]!).lines.map((line, i) => [
      `${label}: ${line.item}`,
      ...all.map((c) => `${usd(pick(c).lines[i]!.usd)} <sub>${pick(c).lines[i]!.detail}</sub>`),
    ]);
  out.push(
    table(
      ['per million events (Kinesis excluded)', ...keyHeaders],
      [
        ...itemRows((c) => c.sluice, 'sluice'),
        ['**sluice total**', ...all.map((c) => `**${usd(c.sluice.total)}**`)],
        ...itemRows((c) => c.naive, 'naive'),
        ['**naive total**', ...all.map((c) => `**${usd(c.naive.total)}**`)],
        ['**sluice ÷ naive**', ...all.map((c) => `**${fraction(c.sluice.total, c.naive.total)}**`)],
      ],
      ['---'],
    ),
    '',
    table(
      ['Flink, always on', ...s.flinkRates.map((r) => `${fmt(r)} events/s`)],
      [['per million events', ...s.flinkRates.map((r) => usd(flinkCost(r).total))]],
    ),
    '',
  );
  const headline = all.find((c) => c.keys === HEADLINE.keys) ?? all[0]!;
  out.push(
    `At ${fmt(headline.keys)} keys sluice costs ${usd(headline.sluice.total)} per million events (+ Kinesis), the naive handler ` +
      `${usd(headline.naive.total)}, the Flink application ${usd(flinkCost(s.steadyRate).total)} at a steady ` +
      `${fmt(s.steadyRate)} events/s. The Flink application costs the same per event as sluice at about ` +
      `${fmt(flinkBreakEven(headline.sluice.total))} events/s sustained; below that rate sluice is cheaper, above it Flink ` +
      '(whose KPU then also has to keep up).',
  );
  return out.join('\n');
}

/**
 * Each missed target with what this run's own figures say stands in the way (the phases of the
 * progress records, the handler's share of the end-to-end time, the units behind the cost, the
 * RSS before and during the eviction batch).
 */
