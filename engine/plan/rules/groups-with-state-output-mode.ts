import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import { collectNodes, hasAggregation } from './plan-queries.js';

/**
 * Spark allows one `mapGroupsWithState` per query, never mixed with `flatMapGroupsWithState`, and
 * several `flatMapGroupsWithState` only when all of them and the query are in append mode.
 */
export function stateFunctionsCombine(query: QueryDefinition): void {
  const nodes = collectNodes(query.plan, (n) => n.kind === 'groupsWithState');
  const maps = nodes.filter((n) => !n.flat).length;
  const flats = nodes.filter((n) => n.flat);
  let problem: string | undefined;
  if (maps >= 2) problem = `${maps} mapGroupsWithState operators`;
  else if (maps > 0 && flats.length > 0) problem = 'mapGroupsWithState mixed with flatMapGroupsWithState';
  else if (
    flats.length >= 2 &&
    (query.outputMode !== 'append' || flats.some((n) => n.outputMode !== 'append'))
  )
    problem = `${flats.length} flatMapGroupsWithState operators not all in append mode (or the query not in append mode)`;
  if (problem === undefined) return;
  throw new InvalidQueryError(
    'UNSUPPORTED_STATE_FUNCTION_COMBINATION',
    `Query '${query.name}' has ${problem}, which Spark does not support either. Chain several state functions only as flatMapGroupsWithState('append', ...) in outputMode('append'), or merge them into one function.`,
    { query: query.name, outputMode: query.outputMode },
  );
}

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
 * earlier rows (update). Spark's decision table: without an aggregation, the query must write them
 * the same way (complete mode is never possible: the function's output is not a table the engine
 * keeps); with an aggregation (before or after it), the function must be in append mode and the
 * query may be in any mode the aggregation allows.
 */
export function flatMapGroupsWithStateModeMatches(query: QueryDefinition): void {
  const aggregated = hasAggregation(query.plan);
  for (const node of collectNodes(query.plan, (n) => n.kind === 'groupsWithState')) {
    if (!node.flat) continue;
    if (aggregated) {
      // Spark: with an aggregation in the query, the function's rows must be final (append);
      // the query's mode is then the aggregation's to decide.
      if (node.outputMode === 'append') continue;
      throw new InvalidQueryError(
        'FLAT_MAP_GROUPS_WITH_STATE_MODE_MISMATCH',
        `Query '${query.name}' uses flatMapGroupsWithState('update', ...) in a query with an aggregation: its rows are updates of earlier rows, which an aggregation would count again (Spark rejects it too). Declare flatMapGroupsWithState('append', ...) so that each row is final.`,
        { query: query.name, outputMode: query.outputMode, operatorMode: node.outputMode },
      );
    }
    if (node.outputMode === query.outputMode) continue;
    throw new InvalidQueryError(
      'FLAT_MAP_GROUPS_WITH_STATE_MODE_MISMATCH',
      `Query '${query.name}' uses flatMapGroupsWithState('${node.outputMode}', ...) in ${query.outputMode} mode: the function declares its rows as ${node.outputMode === 'append' ? 'final (append)' : 'updates (update)'}, so the query must write them in the same mode. Use outputMode('${node.outputMode}')${query.outputMode === 'complete' ? '' : `, or declare flatMapGroupsWithState('${query.outputMode}', ...)`}.`,
      { query: query.name, outputMode: query.outputMode, operatorMode: node.outputMode },
    );
  }
}
