import { compactTime, formatTable } from '../query/format.js';
import { stageLabel } from '../target/query-stages.js';
import type { QueryStatus, ShardStatus } from './query-status.js';

/** A sequence number shortened to its distinguishing tail. */
function shortSeq(seq: string | undefined): string {
  if (seq === undefined) return '—';
  return seq.length > 12 ? `…${seq.slice(-12)}` : seq;
}

function time(ms: number | undefined): string {
  return ms === undefined || ms <= 0 ? '—' : compactTime(new Date(ms).toISOString());
}

function ago(iso: string | undefined, nowMs: number): string {
  if (iso === undefined) return '';
  const seconds = Math.max(0, Math.round((nowMs - Date.parse(iso)) / 1000));
  return seconds < 120 ? `${seconds} s ago` : `${Math.round(seconds / 60)} min ago`;
}

function lagText(shard: ShardStatus): string {
  if (shard.lag === undefined) return 'n/a';
  return `${shard.lag.truncated ? '≥' : ''}${shard.lag.records}`;
}

function progressText(shard: ShardStatus, nowMs: number): string {
  const progress = shard.lastProgress;
  if (progress === undefined) return shard.checkpoint?.committed === undefined ? 'no batch yet' : '—';
  const parts = [
    progress.isNoDataBatch ? 'no-data batch' : `${progress.numInputRows} rows`,
    ...(progress.isNoDataBatch ? [] : [`${Math.round(progress.processedRowsPerSecond)} rows/s`]),
    `${progress.sink.numOutputRows} out`,
    ...(progress.numDeadLetters > 0 ? [`${progress.numDeadLetters} dead`] : []),
    ago(progress.timestamp, nowMs),
  ];
  return parts.filter((part) => part !== '').join(', ');
}

/** One query's status as a text table. */
export function renderStatus(
  status: QueryStatus,
  nowMs: number = Date.now(),
  root: string = status.query,
): string {
  if (status.stages !== undefined) {
    return status.stages
      .map((stage) =>
        renderStatus(
          { ...stage, query: `${status.query} · ${stageLabel(status.query, stage.query)} (${stage.query})` },
          nowMs,
          status.query,
        ),
      )
      .join('');
  }
  const title = `${status.query}${status.stream === undefined ? ' (stream unknown: pass --stream for lag)' : ` ← stream ${status.stream}`}`;
  const dead =
    (status.deadLetterBatches ?? 0) > 0
      ? `  dead letters in ${status.deadLetterBatches} batch${status.deadLetterBatches === 1 ? '' : 'es'}: sluice dead-letters ${root}\n`
      : '';
  if (status.shards.length === 0) return `${title}\n  no shards and no checkpoints yet\n${dead}`;
  const rows = status.shards.map((shard) => ({
    shard: `${shard.shard}${shard.closed ? ' (closed)' : ''}`,
    batch: shard.checkpoint?.committed?.batchId ?? null,
    'committed seq': shortSeq(shard.checkpoint?.committed?.seq),
    watermark: time(shard.checkpoint?.committed?.watermarkMs),
    lag: lagText(shard),
    pending: shard.checkpoint?.pending === undefined ? '' : `batch ${shard.checkpoint.pending.batchId}`,
    'last batch': progressText(shard, nowMs),
  }));
  const table = formatTable(
    ['shard', 'batch', 'committed seq', 'watermark', 'lag', 'pending', 'last batch'],
    rows,
  );
  return `${title}\n${table}${dead}`;
}

/** The status as plain JSON (full sequence numbers, ISO times). */
export function statusJson(status: QueryStatus): unknown {
  if (status.stages !== undefined) {
    return {
      query: status.query,
      stream: status.stream ?? null,
      stages: status.stages.map((stage) => ({
        stage: stageLabel(status.query, stage.query),
        ...(statusJson(stage) as object),
      })),
    };
  }
  return {
    query: status.query,
    stream: status.stream ?? null,
    ...(status.deadLetterBatches === undefined ? {} : { deadLetterBatches: status.deadLetterBatches }),
    shards: status.shards.map((shard) => ({
      shard: shard.shard,
      closed: shard.closed,
      batchId: shard.checkpoint?.committed?.batchId ?? null,
      committedSeq: shard.checkpoint?.committed?.seq ?? null,
      watermark:
        shard.checkpoint?.committed === undefined
          ? null
          : new Date(shard.checkpoint.committed.watermarkMs).toISOString(),
      pendingBatchId: shard.checkpoint?.pending?.batchId ?? null,
      lag: shard.lag === undefined ? null : { records: shard.lag.records, atLeast: shard.lag.truncated },
      lastProgress: shard.lastProgress ?? null,
    })),
  };
}
