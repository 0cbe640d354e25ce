import type { DeadLetter } from '../../runtime/dead-letter.js';
import type { Row } from '../../types.js';
import { dataKey } from './layout.js';
import type { PartitionGroup } from './partitioning.js';

/** S3's limit on an object key (UTF-8 bytes). */
export const MAX_S3_KEY_BYTES = 1024;

/**
 * Default bound on distinct columns in one batch of a file sink's output (schema-less queries
 * take their columns from the rows): a producer inventing field names cannot blow up the Parquet
 * writer's memory or the table's schema.
 */
export const DEFAULT_MAX_COLUMNS = 500;

/** The operator name on dead letters of rows the file sink's limits set aside. */
export const FILE_SINK_OPERATOR = 'S3FileSink';

/**
 * Rows of partitions whose object keys would be longer than S3 allows (a long partition value)
 * become dead letters naming the limit; the other partitions are kept, in order.
 */
export function screenKeyLengths(
  groups: readonly PartitionGroup[],
  root: string,
  shard: string,
  extension: string,
): { kept: PartitionGroup[]; rejected: DeadLetter[] } {
  const kept: PartitionGroup[] = [];
  const rejected: DeadLetter[] = [];
  for (const group of groups) {
    // The longest key of the group: the largest batch id and part number have the most digits.
    const key = `${root}${dataKey(group.path, Number.MAX_SAFE_INTEGER, shard, 99_999, extension)}`;
    const bytes = Buffer.byteLength(key, 'utf8');
    if (bytes <= MAX_S3_KEY_BYTES) {
      kept.push(group);
      continue;
    }
    const reason = `output limit s3 object key: the partition values ${JSON.stringify(group.values).slice(0, 200)} make object keys of ${bytes} bytes; S3 allows ${MAX_S3_KEY_BYTES}. Partition by shorter values (e.g. a prefix or hash of the column).`;
    for (const row of group.rows) rejected.push({ reason, row, operator: FILE_SINK_OPERATOR });
  }
  return { kept, rejected };
}

/**
 * Rows that would bring the batch's distinct columns beyond `maxColumns` become dead letters
 * naming the limit; rows using only columns already seen are kept. Rows are judged in order, so
 * the result is the same on every replay.
 */
export function screenColumnCount(
  rows: readonly Row[],
  exclude: readonly string[],
  maxColumns: number,
): { accepted: Row[]; rejected: DeadLetter[] } {
  const seen = new Set<string>();
  const excluded = new Set(exclude);
  const accepted: Row[] = [];
  const rejected: DeadLetter[] = [];
  for (const row of rows) {
    let added = 0;
    for (const name in row) if (!excluded.has(name) && !seen.has(name)) added++;
    if (seen.size + added > maxColumns) {
      rejected.push({
        reason: `output limit maxColumns: the row would bring the batch's distinct columns to ${seen.size + added}, over the limit of ${maxColumns} (file sink option maxColumns). Give the query a schema, or select the columns to keep.`,
        row,
        operator: FILE_SINK_OPERATOR,
      });
      continue;
    }
    for (const name in row) if (!excluded.has(name)) seen.add(name);
    accepted.push(row);
  }
  return { accepted, rejected };
}
