import type { ExchangeSpec } from '../plan/exchange/plan-stages.js';
import type { PlanNode, StatefulNode } from '../plan/nodes.js';
import { childrenOf, isStateful } from '../plan/nodes.js';
import { StateAdoptionError } from '../reshard/lineage-walk.js';
import type { PhysicalPlan } from '../runtime/compile.js';
import type { StatefulOperator } from '../runtime/operator.js';
import { bucketHashKey, bucketOfKey } from './buckets.js';

/**
 * Where a stage-2 state entry lives after a reshard of the internal stream: the hash key of its
 * routing key's bucket, the same one its rows were routed by (`routeKeyOf` on the row that made
 * it). The routing key is read back from the state key: an aggregation's key values (its column
 * keys, or a tumbling window's start), a dedup's column values, one constant for the rest.
 * ```
 * state key = JSON of the operator's key values (encodeKey)
 * aggregate: route key = JSON of the values of its column keys, or String(window start)
 * session:   route key = JSON of its column values (the state key itself)
 * dedup:     route key = JSON of the dedup columns' values (the state key itself)
 * groupsWithState: route key = encodeKey([key]) (the state key itself)
 * ```
 * Only the operator right after the exchange is routed; state of a later stateful operator in
 * stage 2 cannot be placed and fails adoption with `SLUICE_STATE_ADOPTION`.
 */
export function exchangeStateHash(
  spec: ExchangeSpec,
  stage2Plan: PlanNode,
  compiled: PhysicalPlan,
): (operator: StatefulOperator, key: string) => bigint {
  const node = firstStateful(stage2Plan);
  const routed = compiled.statefulOperators[0];
  const routeKey = node === undefined ? undefined : routeKeyOfState(spec, node);
  return (operator, key) => {
    if (operator !== routed || routeKey === undefined) {
      throw new StateAdoptionError(
        `Stage 2 cannot place state of ${operator.operatorId} after a reshard of the internal stream: only the operator right after the exchange is routed by its key. Keep the internal stream's shard count, or split the query so that each stateful operator has its own exchange.`,
        { operator: operator.operatorId, key },
      );
    }
    return bucketHashKey(bucketOfKey(routeKey(key)));
  };
}

function routeKeyOfState(spec: ExchangeSpec, node: StatefulNode): ((key: string) => string) | undefined {
  // (flat)mapGroupsWithState routes by its encoded key: the state key itself.
  if (spec.routeGroupKey !== undefined) return node.kind === 'groupsWithState' ? (key) => key : undefined;
  if (spec.routeColumns.length === 0 && spec.routeWindow === undefined) return () => '';
  switch (node.kind) {
    case 'aggregate': {
      if (node.keys.some((key) => key.kind === 'session')) return (key) => key;
      const columns = node.keys.flatMap((key, i) => (key.kind === 'column' ? [i] : []));
      if (spec.routeColumns.length > 0)
        return (key) => {
          const values = JSON.parse(key) as unknown[];
          return JSON.stringify(columns.map((i) => values[i] ?? null));
        };
      const window = node.keys.findIndex((key) => key.kind === 'window');
      return (key) => String((JSON.parse(key) as unknown[])[window]);
    }
    case 'dedup':
      return (key) => key;
    default:
      return undefined;
  }
}

function firstStateful(plan: PlanNode): StatefulNode | undefined {
  for (const child of childrenOf(plan)) {
    const found = firstStateful(child);
    if (found !== undefined) return found;
  }
  return isStateful(plan) ? plan : undefined;
}
