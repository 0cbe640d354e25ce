import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import { collectNodes, labelOf } from './plan-queries.js';

/**
 * Sessions merge: a row can join two sessions into one with a new start, so the key of a session
 * written earlier disappears. Update mode writes upserts by key and cannot retract the old
 * session rows, so Spark rejects session windows in update mode; sluice's update sinks are upsert
 * logs too.
 */
export function sessionWindowNotInUpdateMode(query: QueryDefinition): void {
  if (query.outputMode !== 'update') return;
  for (const node of collectNodes(query.plan, (n) => n.kind === 'aggregate')) {
    if (!node.keys.some((key) => key.kind === 'session')) continue;
    throw new InvalidQueryError(
      'SESSION_WINDOW_IN_UPDATE_MODE',
      `Query '${query.name}' groups by a session window in update mode (${labelOf(node)}): sessions merge and change their start, and update mode cannot retract the rows of the sessions that were merged away. Use outputMode('append') with a watermark, which emits each session once it has closed, or outputMode('complete').`,
      { query: query.name },
    );
  }
}
