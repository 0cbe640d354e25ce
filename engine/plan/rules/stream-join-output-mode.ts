import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import { collectNodes, labelOf } from './plan-queries.js';

/**
 * A stream-stream join emits each joined row once and never revises it, so only append mode
 * fits; Spark rejects update and complete for the same reason.
 */
export function streamJoinNeedsAppend(query: QueryDefinition): void {
  if (query.outputMode === 'append') return;
  const join = collectNodes(query.plan, (n) => n.kind === 'streamJoin')[0];
  if (join === undefined) return;
  throw new InvalidQueryError(
    'STREAM_JOIN_NOT_IN_APPEND_MODE',
    `Query '${query.name}' joins two streams (${labelOf(join)}) in ${query.outputMode} mode: a stream-stream join emits each joined row once and never updates it, so it runs only in append mode. Use outputMode('append'); to aggregate joined rows, write the join to its own query and read that.`,
    { query: query.name, outputMode: query.outputMode },
  );
}
