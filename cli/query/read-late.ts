import { S3OutputReader, type StoredLateRow } from '../../engine/aws/s3/index.js';
import type { Row } from '../../engine/types.js';
import { requireBucket } from '../target/resolve.js';
import type { QueryLocation, Target } from '../target/target.js';
import { type QueryResult, type ResultColumn, translateS3Error } from './read-results.js';

/**
 * The columns every late row starts with; the dropped row's own fields follow (a field whose name
 * is one of these comes as `row.<name>`).
 */
const LATE_COLUMNS: readonly ResultColumn[] = [
  { name: 'batch', type: 'int64' },
  { name: 'shard', type: 'string' },
  { name: 'operator', type: 'string' },
  // The time the row was judged by: its window's end, its session's end, or its event time.
  { name: 'eventTime', type: 'timestamp' },
  { name: 'watermark', type: 'timestamp' },
];
const RESERVED = new Set(LATE_COLUMNS.map((column) => column.name));

/**
 * `sluice query <q> --late`: the rows the watermark dropped in the query's committed batches (only
 * batches with a manifest, only the `_late/` objects it lists, as for outputs), in batch order,
 * one result row per dropped row (per window for sliding windows), with the batch, shard, operator,
 * the time it was judged by and the watermark, then the row's own fields.
 */
export async function readLateRows(target: Target, query: QueryLocation): Promise<QueryResult> {
  const bucket = requireBucket(query);
  let stored: StoredLateRow[];
  let batches: number;
  try {
    const reader = new S3OutputReader({
      client: target.clients.s3,
      bucket,
      prefix: query.prefix,
      query: query.name,
    });
    const manifests = await reader.manifests();
    batches = manifests.length;
    stored = await reader.readLateRows();
  } catch (error) {
    throw translateS3Error(error, target, bucket);
  }
  const fields: string[] = [];
  const seen = new Set<string>();
  const rows = stored.map((late): Row => {
    const row: Row = {
      batch: late.batchId,
      shard: late.shard,
      operator: late.operator,
      eventTime: late.eventTimeMs,
      watermark: late.watermarkMs,
    };
    for (const [name, value] of Object.entries(late.row)) {
      const column = RESERVED.has(name) ? `row.${name}` : name;
      if (!seen.has(column)) {
        seen.add(column);
        fields.push(column);
      }
      row[column] = value;
    }
    return row;
  });
  return {
    query: query.name,
    columns: [...LATE_COLUMNS, ...fields.map((name) => ({ name, type: 'json' }))],
    rows,
    batches,
    outputMode: undefined,
    sink: undefined,
  };
}
