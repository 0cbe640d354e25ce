import type { GroupingKey, GroupsWithStateNode, JoinType, PlanNode } from '../nodes.js';
import { childrenOf, walkPlan } from '../nodes.js';

/**
 * Small read-only questions the checker rules ask of a logical plan, kept in one place so each
 * rule file reads as the condition it enforces and the message it gives.
 */

/** Every node of the plan for which `predicate` holds, children before parents, left to right. */
export function collectNodes<N extends PlanNode>(
  root: PlanNode,
  predicate: (node: PlanNode) => node is N,
): N[] {
  const found: N[] = [];
  walkPlan(root, (node) => {
    if (predicate(node)) found.push(node);
  });
  return found;
}

/**
 * The first node strictly below `node` (its inputs, recursively) for which `predicate` holds,
 * nearest first along each branch, left branch before right; `undefined` when there is none.
 * Rules use it to ask "what runs upstream of this operator".
 */
export function findBelow<N extends PlanNode>(
  node: PlanNode,
  predicate: (node: PlanNode) => node is N,
): N | undefined;
export function findBelow(node: PlanNode, predicate: (node: PlanNode) => boolean): PlanNode | undefined;
export function findBelow(node: PlanNode, predicate: (node: PlanNode) => boolean): PlanNode | undefined {
  for (const child of childrenOf(node)) {
    if (predicate(child)) return child;
    const deeper = findBelow(child, predicate);
    if (deeper !== undefined) return deeper;
  }
  return undefined;
}

/** Whether the plan has a streaming aggregation (`groupBy(...).agg(...)`). */
export function hasAggregation(root: PlanNode): boolean {
  return collectNodes(root, (node) => node.kind === 'aggregate').length > 0;
}

/** The names of the sources feeding `node`, left to right, for messages that name a join side. */
export function sourceNamesOf(node: PlanNode): string[] {
  return collectNodes(node, (candidate) => candidate.kind === 'source').map((source) => source.name);
}

/** The join types sluice implements; a JavaScript caller can still pass anything else. */
export const SUPPORTED_JOIN_TYPES: readonly JoinType[] = [
  'inner',
  'left_outer',
  'right_outer',
  'full_outer',
  'left_semi',
  'left_anti',
];

/** A duration in the API's own words (`'10 seconds'`), so messages can be pasted back into code. */
export function formatDuration(ms: number): string {
  const units: ReadonlyArray<readonly [string, number]> = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
    ['second', 1000],
  ];
  for (const [unit, size] of units) {
    if (ms !== 0 && ms % size === 0) return `${ms / size} ${unit}${ms === size ? '' : 's'}`;
  }
  return `${ms} ms`;
}

/** A grouping key as the user wrote it: `'user'`, `window('ts', '10 minutes')`, `sessionWindow('ts', '5 minutes')`. */
export function labelOfKey(key: GroupingKey): string {
  switch (key.kind) {
    case 'column':
      return `'${key.column}'`;
    case 'window':
      return key.slideMs === key.durationMs
        ? `window('${key.column}', '${formatDuration(key.durationMs)}')`
        : `window('${key.column}', '${formatDuration(key.durationMs)}', '${formatDuration(key.slideMs)}')`;
    case 'session':
      return key.gapColumn === undefined
        ? `sessionWindow('${key.column}', '${formatDuration(key.gapMs)}')`
        : `session_window(${key.column}, ${key.gapColumn})`;
  }
}

/** The API call that made a node, for messages: `groupBy('user', window('ts', '1 minutes')).agg(...)`. */
export function labelOf(node: PlanNode): string {
  switch (node.kind) {
    case 'source':
      return `readStream('${node.name}')`;
    case 'watermark':
      return `withWatermark('${node.column}', '${formatDuration(node.delayMs)}')`;
    case 'aggregate':
      return `groupBy(${node.keys.map(labelOfKey).join(', ')}).agg(...)`;
    case 'dedup': {
      const columns = node.columns.map((column) => `'${column}'`).join(', ');
      return `${node.withinWatermark ? 'dropDuplicatesWithinWatermark' : 'dropDuplicates'}([${columns}])`;
    }
    case 'groupsWithState':
      return groupsWithStateLabel(node);
    case 'streamJoin':
    case 'staticJoin':
      return `join(${node.kind === 'staticJoin' ? 'staticRows(...)' : 'stream'}, { on: [${node.on
        .map((column) => `'${column}'`)
        .join(', ')}], how: '${node.how}' })`;
    case 'union':
      return 'union(...)';
    default:
      return `${node.kind}(...)`;
  }
}

/** `mapGroupsWithState` or `flatMapGroupsWithState('append')`. */
export function groupsWithStateLabel(node: GroupsWithStateNode): string {
  return node.flat ? `flatMapGroupsWithState('${node.outputMode}')` : 'mapGroupsWithState';
}
