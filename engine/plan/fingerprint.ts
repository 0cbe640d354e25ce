import type { QueryDefinition } from '../api/writer.js';
import { type PlanNode, walkPlan } from './nodes.js';

/** Format version of the fingerprint; bump when state layouts change incompatibly. */
const FINGERPRINT_VERSION = 1;

/**
 * The plan fingerprint stored with the checkpoint: the stateful operators in plan order with
 * their keys and state schemas (aggregate functions, dedup columns, timeouts, join keys). Stateless
 * steps are left out, so adding a filter or projection keeps a restart compatible; changing a
 * grouping key or an aggregate does not. It is readable JSON, so a mismatch can name the change.
 */
export function describePlan(query: QueryDefinition): string {
  const operators: unknown[] = [];
  walkPlan(query.plan, (node) => {
    const described = describeNode(node);
    if (described !== undefined) operators.push(described);
  });
  return JSON.stringify({ v: FINGERPRINT_VERSION, query: query.name, operators });
}

function describeNode(node: PlanNode): unknown {
  switch (node.kind) {
    case 'aggregate':
      return {
        op: 'aggregate',
        keys: node.keys,
        aggregates: Object.entries(node.aggregates).map(([name, fn]) => [name, fn.name, fn.column ?? null]),
      };
    case 'dedup':
      return { op: node.withinWatermark ? 'dedupWithinWatermark' : 'dedup', columns: node.columns };
    case 'groupsWithState':
      return { op: node.flat ? 'flatMapGroupsWithState' : 'mapGroupsWithState', timeout: node.timeout };
    case 'streamJoin':
      return { op: 'streamJoin', on: node.on, how: node.how, timeRange: node.timeRange ?? null };
    case 'watermark':
      return { op: 'watermark', column: node.column };
    default:
      return undefined;
  }
}

/** Names the first operator that differs between two fingerprints, for error messages. */
export function firstDifference(stored: string, current: string): string {
  try {
    const a = JSON.parse(stored) as { v: number; operators: unknown[] };
    const b = JSON.parse(current) as { v: number; operators: unknown[] };
    if (a.v !== b.v) return `the checkpoint has fingerprint format ${a.v}, this version writes ${b.v}`;
    const length = Math.max(a.operators.length, b.operators.length);
    for (let i = 0; i < length; i++) {
      const before = JSON.stringify(a.operators[i] ?? null);
      const after = JSON.stringify(b.operators[i] ?? null);
      if (before !== after) return `stateful operator #${i} was ${before} and is now ${after}`;
    }
    return 'the query name differs';
  } catch {
    return 'the stored fingerprint is unreadable';
  }
}
