import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import { isStateful, type StatefulNode } from '../nodes.js';
import { collectNodes, findBelow, groupsWithStateLabel, labelOf } from './plan-queries.js';

/**
 * Rules for one stateful operator reading the output of another, after Spark's
 * `checkStreamingQueryGlobalWatermarkLimit` (Spark 3.4+ allows such chains in append mode).
 * All stateful operators share one global watermark, so an upstream operator must not emit rows
 * that the downstream one would judge late, nor revise rows it emitted before.
 */

const statefulNodes = (query: QueryDefinition): StatefulNode[] => collectNodes(query.plan, isStateful);

/**
 * A stream-stream join emits its null-padded outer rows, and inner matches of rows that waited
 * in state, behind the watermark; sluice's join does not propagate an output watermark that would
 * let a later operator accept them, so a downstream operator would drop them as late. This is stricter
 * than Spark 3.4+, which accepts the chain in append mode.
 */
export function noStatefulAfterStreamJoin(query: QueryDefinition): void {
  for (const node of statefulNodes(query)) {
    const join = findBelow(node, (n) => n.kind === 'streamJoin');
    if (join === undefined) continue;
    throw new InvalidQueryError(
      'STATEFUL_OPERATOR_AFTER_STREAM_JOIN',
      `Query '${query.name}' runs ${labelOf(node)} on the output of a stream-stream ${labelOf(join)}: the join emits rows that waited in its state behind the watermark, and it does not propagate an output watermark, so ${labelOf(node)} would drop them as late. Write the join's output to its own query and aggregate or deduplicate in a second query that reads it.`,
      { query: query.name, operator: node.kind },
    );
  }
}

/**
 * An event-time timeout lets the function emit rows for keys whose time the watermark has already
 * passed; a downstream stateful operator would drop them as late. Spark rejects this chain in
 * every output mode.
 */
export function noStatefulAfterEventTimeTimeout(query: QueryDefinition): void {
  for (const node of statefulNodes(query)) {
    const upstream = findBelow(node, (n) => n.kind === 'groupsWithState' && n.timeout === 'EventTimeTimeout');
    if (upstream === undefined || upstream.kind !== 'groupsWithState') continue;
    throw new InvalidQueryError(
      'STATEFUL_OPERATOR_AFTER_EVENT_TIME_TIMEOUT',
      `Query '${query.name}' runs ${labelOf(node)} on the output of ${groupsWithStateLabel(upstream)} with an event-time timeout: rows emitted on timeout are already behind the watermark, so ${labelOf(node)} would drop them as late. Use GroupStateTimeout.ProcessingTimeTimeout, or do the second stateful step inside the same state function.`,
      { query: query.name, operator: node.kind },
    );
  }
}

/**
 * `mapGroupsWithState` and `flatMapGroupsWithState('update')` emit the latest value of a key,
 * again and again; an aggregation over them would add every revision as a new row.
 */
export function noAggregationAfterUpdatingStateFunction(query: QueryDefinition): void {
  for (const node of collectNodes(query.plan, (n) => n.kind === 'aggregate')) {
    const upstream = findBelow(node, (n) => n.kind === 'groupsWithState' && n.outputMode === 'update');
    if (upstream === undefined || upstream.kind !== 'groupsWithState') continue;
    throw new InvalidQueryError(
      'AGGREGATION_AFTER_GROUPS_WITH_STATE_IN_UPDATE_MODE',
      `Query '${query.name}' aggregates (${labelOf(node)}) the output of ${groupsWithStateLabel(upstream)}, which emits updated values of its keys: each revision would be counted as a new row. Use flatMapGroupsWithState('append', ...) with outputMode('append') so that each row is final, or aggregate inside the state function.`,
      { query: query.name },
    );
  }
}

/**
 * In update and complete mode an aggregation revises rows it emitted, and a downstream stateful
 * operator cannot take a revision back; only append mode, where every row is final, can chain
 * after it. Spark's `checkStreamingQueryGlobalWatermarkLimit` flags exactly this upstream (an
 * aggregation outside append mode; event-time timeouts have their own rule): deduplication and
 * state functions upstream are fine in every mode — a state function's rows are what it returns,
 * and its output-mode rules (`groups-with-state-output-mode.ts`) keep revisions away from
 * aggregations.
 */
export function chainedStatefulOperatorsNeedAppend(query: QueryDefinition): void {
  if (query.outputMode === 'append') return;
  for (const node of statefulNodes(query)) {
    const upstream = findBelow(node, (n): n is StatefulNode => n.kind === 'aggregate');
    if (upstream === undefined) continue;
    throw new InvalidQueryError(
      'CHAINED_STATEFUL_OPERATORS_NOT_IN_APPEND_MODE',
      `Query '${query.name}' runs ${labelOf(node)} on the output of ${labelOf(upstream)} in ${query.outputMode} mode: there the upstream operator revises rows it already emitted, which ${labelOf(node)} cannot take back. Chain stateful operators only in outputMode('append') (with watermarks so that rows are final), or split the query in two.`,
      { query: query.name, outputMode: query.outputMode },
    );
  }
}
