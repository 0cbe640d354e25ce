import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';

/** A partition column name that can be written as a `column=value/` S3 key segment. */
const SAFE_PARTITION_COLUMN = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * File sinks lay objects out as `column=value/` prefixes (Hive style), so a partition column
 * name must survive as a key segment, and naming a column twice would nest the same value twice.
 * (`partitionBy` on a non-file sink cannot be expressed: the writer turns it into a file sink.)
 */
export function partitionColumnsAreUsable(query: QueryDefinition): void {
  const sink = query.sink;
  if (sink.kind !== 'files') return;
  const seen = new Set<string>();
  for (const column of sink.partitionBy) {
    const problem = !SAFE_PARTITION_COLUMN.test(column)
      ? 'cannot be written as a column=value/ segment of an S3 key'
      : seen.has(column)
        ? 'is named twice'
        : undefined;
    seen.add(column);
    if (problem === undefined) continue;
    throw new InvalidQueryError(
      'INVALID_PARTITION_COLUMN',
      `Query '${query.name}' partitions its files by ${JSON.stringify(column)}, which ${problem}. Name each partition column once, using letters, digits, '.', '_' and '-' (rename it with map(...) first if needed).`,
      { query: query.name, column },
    );
  }
}
