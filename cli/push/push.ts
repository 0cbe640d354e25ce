import type { Readable } from 'node:stream';
import { MissingPartitionKeyError, PushIncompleteError } from '../errors.js';
import { translateAwsError } from '../target/aws-errors.js';
import type { Target } from '../target/target.js';
import { openInput, parseLine } from './json-lines.js';
import { pushProgress } from './progress-bar.js';
import { type PushStats, RecordPusher } from './record-pusher.js';
import { resolveStream } from './resolve-stream.js';

/** Options of {@link push}. */
export interface PushOptions {
  readonly stream: string;
  /** A file path, `-` or `undefined` for standard input. */
  readonly file?: string;
  readonly partitionKey?: string;
  readonly strictOrder?: boolean;
  readonly stdin?: Readable;
  /** Where reports go: the summary to `out`, malformed lines and failures to `err`. */
  readonly out?: NodeJS.WriteStream;
  readonly err?: NodeJS.WriteStream;
}

/**
 * `sluice push`: JSON Lines → PutRecords. Every line becomes one record (its bytes as data, the
 * partition-key field's value as partition key); malformed lines are reported with their line
 * number and skipped, the rest is pushed; then a summary. Throws {@link PushIncompleteError}
 * (non-zero exit) when any line was skipped or any record failed after its retries.
 */
export async function push(target: Target, options: PushOptions): Promise<PushStats> {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const resolved = await resolveStream(target, options.stream);
  const field = options.partitionKey ?? resolved.query?.partitionKey;
  if (field === undefined) {
    throw new MissingPartitionKeyError(resolved.stream);
  }
  const input = await openInput(options.file, options.stdin);
  const started = performance.now();
  let bytesRead = 0;
  const progress = pushProgress(input.sizeBytes, err);
  const pusher = new RecordPusher({
    client: target.clients.kinesis,
    stream: resolved.stream,
    ...(options.strictOrder === undefined ? {} : { strictOrder: options.strictOrder }),
    onProgress: (stats) => progress.update(bytesRead, stats),
    onCallError: (error) => {
      const translated = translateAwsError(error, target, 'kinesis');
      // Unreachable endpoints, credentials and permissions end the push; anything else is retried.
      return translated === error ? undefined : translated;
    },
  });
  const malformed: string[] = [];
  let stats: PushStats;
  try {
    for await (const line of input.lines) {
      bytesRead = line.bytesRead;
      const parsed = parseLine(line, field);
      if (parsed.kind === 'blank') continue;
      if (parsed.kind === 'malformed') {
        malformed.push(`${input.name}:${parsed.lineNumber}: ${parsed.reason}`);
        continue;
      }
      await pusher.push({
        partitionKey: parsed.partitionKey,
        data: parsed.data,
        lineNumber: parsed.lineNumber,
      });
    }
    stats = await pusher.flush();
  } finally {
    progress.stop();
  }
  for (const line of malformed) err.write(`${line}\n`);
  for (const failure of stats.failed) {
    err.write(
      `${input.name}:${failure.lineNumber ?? '?'}: not pushed after every retry (${failure.errorCode}: ${failure.errorMessage})\n`,
    );
  }
  out.write(`${summarize(resolved.stream, stats, performance.now() - started)}\n`);
  if (malformed.length > 0 || stats.failed.length > 0) {
    throw new PushIncompleteError(malformed.length, stats.failed.length);
  }
  return stats;
}

/** `pushed 1000 records to page-views in 0.4 s (shardId-…0: 480, shardId-…1: 520); 3 retried` */
export function summarize(stream: string, stats: PushStats, elapsedMs: number): string {
  const shards = [...stats.perShard.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([shard, count]) => `${shard}: ${count}`)
    .join(', ');
  const extra = [
    ...(stats.retried > 0 ? [`${stats.retried} retried`] : []),
    ...(stats.reordered > 0 ? [`${stats.reordered} landed ahead of a retried record of their key`] : []),
  ];
  return (
    `pushed ${stats.pushed} record${stats.pushed === 1 ? '' : 's'} to ${stream} in ${(elapsedMs / 1000).toFixed(1)} s` +
    `${shards === '' ? '' : ` (${shards})`}${extra.length === 0 ? '' : `; ${extra.join(', ')}`}`
  );
}
