import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import { collectNodes } from './plan-queries.js';

/**
 * `mapGroupsWithState` returns one row per key and call: the key's latest value, which only
 * update mode can carry (append would repeat a key, complete would need the whole table). Spark's
 * checker rejects it in any other mode for the same reason.
 */
export function mapGroupsWithStateNeedsUpdate(query: QueryDefinition): void {
  if (query.outputMode === 'update') return;
  for (const node of collectNodes(query.plan, (n) => n.kind === 'groupsWithState')) {
    if (node.flat) continue;
    throw new InvalidQueryError(
      'MAP_GROUPS_WITH_STATE_NOT_IN_UPDATE_MODE',
      `Query '${query.name}' uses mapGroupsWithState in ${query.outputMode} mode: its one row per key and call is that key's latest value, which only update mode can write. Use outputMode('update'), or flatMapGroupsWithState('append', ...) to emit rows that are final.`,
      { query: query.name, outputMode: query.outputMode },
    );
  }
}

/**
 * `flatMapGroupsWithState(mode, ...)` declares whether its rows are final (append) or updates of
 * earlier rows (update); the query must write them the same way, as Spark's checker requires.
 * Complete mode is never possible: the function's output is not a table the engine keeps.
 */
export function flatMapGroupsWithStateModeMatches(query: QueryDefinition): void {
  for (const node of collectNodes(query.plan, (n) => n.kind === 'groupsWithState')) {
    if (!node.flat || node.outputMode === query.outputMode) continue;
    throw new InvalidQueryError(
      'FLAT_MAP_GROUPS_WITH_STATE_MODE_MISMATCH',
      `Query '${query.name}' uses flatMapGroupsWithState('${node.outputMode}', ...) in ${query.outputMode} mode: the function declares its rows as ${node.outputMode === 'append' ? 'final (append)' : 'updates (update)'}, so the query must write them in the same mode. Use outputMode('${node.outputMode}')${query.outputMode === 'complete' ? '' : `, or declare flatMapGroupsWithState('${query.outputMode}', ...)`}.`,
      { query: query.name, outputMode: query.outputMode, operatorMode: node.outputMode },
    );
  }
}
