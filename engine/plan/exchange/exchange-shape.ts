import { watermarkedColumnsOf } from '../../runtime/watermarked-columns.js';
import type { Expression } from '../expressions/expression.js';
import { analyzeStreamJoin } from '../joins/analyze-join.js';
import type {
  GroupingKey,
  PlanNode,
  SourceNode,
  StatefulNode,
  StreamJoinNode,
  WatermarkNode,
} from '../nodes.js';
import { childrenOf, isStateful } from '../nodes.js';

/** What the rewrite found about a stateful operator whose keys ignore a source's partition key. */
export interface ExchangeRequirement {
  readonly node: StatefulNode;
  readonly source: SourceNode;
  /** The source's partition key ('' when it has none or a function, with {@link streams}). */
  readonly partitionKey: string;
  /** Set when the operator reads sources of different Kinesis streams: two of them. */
  readonly streams?: readonly [string, string];
}

/**
 * One input of the operator after an exchange: a subtree that one stage 1 runs (a join side, a
 * union input, or the operator's whole child), with the watermark stage 2 re-applies to its rows.
 */
export interface ExchangeInput {
  readonly plan: PlanNode;
  /** The one source stream it reads. */
  readonly source: SourceNode;
  readonly watermark?: WatermarkNode;
  /** A join side: its equality key expressions, evaluated on the side's rows, in key order. */
  readonly joinKeys?: readonly Expression[];
}

/** The exchange the planner inserts, or why it cannot. */
export type ExchangeShape =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'planned';
      readonly node: StatefulNode;
      /** The first requirement that called for it (for the reason `explain()` prints). */
      readonly requirement: ExchangeRequirement;
      /**
       * One entry: the operator's child runs in stage 1 as it is (one source). Several: a join's
       * sides or a union's inputs, each its own stage 1.
       */
      readonly inputs: readonly ExchangeInput[];
      /** The inputs meet in a union right below the operator (stateless steps above it were pushed into each input). */
      readonly union: boolean;
    }
  | { readonly kind: 'unsupported'; readonly requirement: ExchangeRequirement; readonly why: string };

/**
 * The stateful operators whose keys do not determine their sources' declared partition key (a
 * column): each group's rows may arrive on any shard, so the operator needs an exchange before it.
 * A stream-stream join follows its sources when one equality pair joins the left side's partition
 * key to the right side's (`l.orderId = r.orderId`, or `l.id = r.userId` with each keyed by those).
 * Key functions (`groupByKey`, function partition keys) cannot be told apart here and are trusted,
 * as the record decoder checks partition keys at run time.
 */
export function exchangeRequirements(plan: PlanNode): ExchangeRequirement[] {
  const found: ExchangeRequirement[] = [];
  const visit = (node: PlanNode) => {
    for (const child of childrenOf(node)) visit(child);
    // A key function without declared columns cannot be checked: trusted, as before.
    if (!isStateful(node) || (node.kind === 'groupsWithState' && node.keyColumns === undefined)) return;
    const streams = separateStreams(
      node.kind === 'streamJoin'
        ? [...sourcesBelow(node.left), ...sourcesBelow(node.right)]
        : sourcesBelow(node.child),
    );
    if (streams !== undefined) {
      found.push(
        ...streams.sources.map((source) => ({
          node,
          source,
          partitionKey: keyName(source),
          streams: streams.names,
        })),
      );
      return;
    }
    if (node.kind === 'streamJoin') {
      found.push(...joinRequirements(node));
      return;
    }
    for (const source of sourcesBelow(node.child)) {
      const partitionKey = source.partitionKey;
      if (typeof partitionKey !== 'string' || groupsBy(node, partitionKey)) continue;
      found.push({ node, source, partitionKey });
    }
  };
  visit(plan);
  return found;
}

/**
 * Sources of more than one Kinesis stream below one operator (`readStream`'s `stream`; undeclared
 * means the query's one stream): their shards never hold the same keys, whatever the partition
 * keys, so every source needs the exchange.
 */
function separateStreams(
  sources: readonly SourceNode[],
): { sources: readonly SourceNode[]; names: readonly [string, string] } | undefined {
  const names = [...new Set(sources.map((source) => source.stream ?? '(the query stream)'))];
  if (names.length < 2) return undefined;
  return { sources, names: [names[0]!, names[1]!] };
}

function keyName(source: SourceNode): string {
  return typeof source.partitionKey === 'string' ? source.partitionKey : '';
}

function joinRequirements(node: StreamJoinNode): ExchangeRequirement[] {
  const pairs = equalityColumnPairs(node);
  const left = sourcesBelow(node.left);
  const right = sourcesBelow(node.right);
  const keyOf = (sources: SourceNode[]) => {
    const keys = new Set(sources.map((s) => s.partitionKey));
    const [only] = keys;
    return keys.size === 1 && typeof only === 'string' ? only : undefined;
  };
  const l = keyOf(left);
  const r = keyOf(right);
  if (l !== undefined && r !== undefined && pairs.some(([a, b]) => a === l && b === r)) return [];
  // Name the side that does not follow (both, or the right one when they follow different pairs).
  const leftFollows = l !== undefined && pairs.some(([a]) => a === l);
  const rightFollows = r !== undefined && pairs.some(([, b]) => b === r);
  const blamed =
    leftFollows && rightFollows ? right : [...(leftFollows ? [] : left), ...(rightFollows ? [] : right)];
  const keyed = (sources: SourceNode[]) =>
    sources.filter(
      (source): source is SourceNode & { partitionKey: string } => typeof source.partitionKey === 'string',
    );
  // A side with no declared partition key is trusted, as for any operator.
  return keyed(blamed).map((source) => ({ node, source, partitionKey: source.partitionKey }));
}

/** The join's equality conjuncts between two plain columns, as (left column, right column). */
function equalityColumnPairs(node: StreamJoinNode): Array<readonly [string, string]> {
  const analysis = analyzeStreamJoin(node, new Set(), new Set());
  const pairs: Array<readonly [string, string]> = [];
  analysis.left.keys.forEach((key, i) => {
    const other = analysis.right.keys[i];
    if (key.kind === 'column' && other?.kind === 'column') pairs.push([key.name, other.name]);
  });
  return pairs;
}

/**
 * Where the exchange goes (like Spark's `EnsureRequirements`): before the first stateful operator
 * that needs one. Covered shapes, each input a chain of stateless steps (stream-static joins
 * included) from one source with at most one `withWatermark`:
 * - an aggregation, dedup or stream-stream join right after such a chain (one input);
 * - a stream-stream join of two such chains (each side its own stage 1);
 * - an aggregation or dedup after a union of such chains (stateless steps between the union and
 *   the operator are pushed into each input).
 * Stateful operators after it run in stage 2 and must keep its routing (group by its key).
 */
export function exchangeShape(plan: PlanNode): ExchangeShape {
  const requirements = exchangeRequirements(plan);
  const first = requirements[0];
  if (first === undefined) return { kind: 'none' };
  const ordered = statefulInOrder(plan);
  const node = ordered.find((candidate) => requirements.some((r) => r.node === candidate))!;
  const requirement = requirements.find((r) => r.node === node)!;
  const unsupported = (why: string): ExchangeShape => ({ kind: 'unsupported', requirement, why });
  if (node.kind === 'groupsWithState' && node.keyColumns === undefined)
    return unsupported('groupsWithState keys are functions (declare groupByKey keyColumns)');
  if (ordered.indexOf(node) !== 0) {
    return unsupported('only the first stateful operator of a query can follow an exchange');
  }
  const built = node.kind === 'streamJoin' ? joinInputs(node) : operatorInputs(node.child);
  if (typeof built === 'string') return unsupported(built);
  const routes = routeColumnSets(node, built.inputs);
  for (const later of ordered.slice(1)) {
    if (!keepsRouting(later, routes)) {
      return unsupported(
        `the ${later.kind === 'streamJoin' ? 'stream-stream join' : later.kind} after it needs another exchange (a second exchange is not built): group it by the first one's key as well (${routes.map((set) => `[${set.join(', ')}]`).join(' or ') || 'none'})`,
      );
    }
  }
  return { kind: 'planned', node, requirement, inputs: built.inputs, union: built.union };
}

function joinInputs(node: StreamJoinNode): { inputs: ExchangeInput[]; union: false } | string {
  const analysis = analyzeStreamJoin(node, watermarkedColumnsOf(node.left), watermarkedColumnsOf(node.right));
  const inputs: ExchangeInput[] = [];
  for (const [side, keys] of [
    [node.left, analysis.left.keys],
    [node.right, analysis.right.keys],
  ] as const) {
    const input = chainInput(side, 'a stream-stream join side');
    if (typeof input === 'string') return input;
    inputs.push({ ...input, joinKeys: keys });
  }
  return { inputs, union: false };
}

/** The operator's child: one chain (today's shape), or stateless steps over a union of chains. */
function operatorInputs(child: PlanNode): { inputs: ExchangeInput[]; union: boolean } | string {
  const steps: PlanNode[] = [];
  let at = child;
  while (isStatelessStep(at)) {
    steps.push(at);
    at = (at as { child: PlanNode }).child;
  }
  if (at.kind !== 'union') {
    // One source, as before unions and joins were covered: stage 2 re-applies the first watermark.
    const input = chainInput(child, 'the input of the operator', false);
    return typeof input === 'string' ? input : { inputs: [input], union: false };
  }
  const inputs: ExchangeInput[] = [];
  for (const branch of flattenUnion(at)) {
    // Stateless steps commute with a union: each input runs them in its own stage 1.
    const plan = steps.reduceRight<PlanNode>(
      (below, step) => ({ ...step, child: below }) as PlanNode,
      branch,
    );
    const input = chainInput(plan, 'a union input');
    if (typeof input === 'string') return input;
    inputs.push(input);
  }
  return { inputs, union: true };
}

function flattenUnion(node: PlanNode): PlanNode[] {
  return node.kind === 'union' ? node.children.flatMap(flattenUnion) : [node];
}

/**
 * One input as a stage 1 runs it. `strict`: stage 2 must be able to re-apply the input's
 * watermark on its rows (one `withWatermark`, its column reaching the exchange as it is), since
 * with several inputs each keeps its own watermark there.
 */
function chainInput(plan: PlanNode, what: string, strict = true): Omit<ExchangeInput, 'joinKeys'> | string {
  const chain = [...chainBelow(plan)];
  if (chain.some((n) => n.kind === 'union' || n.kind === 'streamJoin' || isStateful(n))) {
    return `${what} must be a chain of stateless steps from one source (no union, stream-stream join or stateful step in it)`;
  }
  const source = chain.find((n): n is SourceNode => n.kind === 'source')!;
  const watermarks = chain.filter((n): n is WatermarkNode => n.kind === 'watermark');
  if (strict && watermarks.length > 1) return `${what} has more than one withWatermark`;
  const watermark = watermarks[0];
  if (strict && watermark !== undefined) {
    const carried = watermarkedColumnsOf(plan);
    if (carried.size !== 1 || !carried.has(watermark.column)) {
      return `${what} must keep its watermark column '${watermark.column}' as it is (not renamed or dropped) up to the exchange`;
    }
  }
  return { plan, source, ...(watermark === undefined ? {} : { watermark }) };
}

function isStatelessStep(node: PlanNode): boolean {
  return ['map', 'filter', 'flatMap', 'select', 'project', 'where', 'staticJoin'].includes(node.kind);
}

/**
 * The column sets the exchange routes by, as later operators see them: a row's partition follows
 * the values of each set (a join routes both sides by the key's values, so either side's key
 * columns hold them). Empty: everything in one partition, any grouping keeps it.
 */
function routeColumnSets(node: StatefulNode, inputs: readonly ExchangeInput[]): string[][] {
  if (node.kind === 'streamJoin') {
    return inputs.map((input) =>
      (input.joinKeys ?? []).every((key) => key.kind === 'column')
        ? (input.joinKeys ?? []).map((key) => (key as { name: string }).name)
        : [],
    );
  }
  if (node.kind === 'dedup') return [[...node.columns]];
  if (node.kind === 'groupsWithState') return [[...(node.keyColumns ?? [])]];
  if (node.kind === 'aggregate') {
    const columns = node.keys.filter((key) => key.kind === 'column').map((key) => key.column);
    // Routed by a tumbling window's start (or one partition): no later grouping keeps that.
    return [columns.length > 0 || node.keys.length === 0 ? columns : ['\u0000window start']];
  }
  return [];
}

function keepsRouting(node: StatefulNode, routes: readonly string[][]): boolean {
  if (routes.some((set) => set.length === 0)) return routes.every((set) => set.length === 0);
  const keys =
    node.kind === 'aggregate'
      ? node.keys.filter((key) => key.kind === 'column').map((key) => key.column)
      : node.kind === 'dedup'
        ? node.columns
        : node.kind === 'streamJoin'
          ? node.on
          : [];
  return routes.some((set) => set.every((column) => keys.includes(column)));
}

export function* chainBelow(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of childrenOf(node)) yield* chainBelow(child);
}

function sourcesBelow(node: PlanNode): SourceNode[] {
  return [...chainBelow(node)].filter((n): n is SourceNode => n.kind === 'source');
}

/** Stateful operators, children before parents. */
function statefulInOrder(plan: PlanNode): StatefulNode[] {
  const found: StatefulNode[] = [];
  const visit = (node: PlanNode) => {
    for (const child of childrenOf(node)) visit(child);
    if (isStateful(node)) found.push(node);
  };
  visit(plan);
  return found;
}

function groupsBy(node: StatefulNode, column: string): boolean {
  switch (node.kind) {
    case 'aggregate':
      return node.keys.some((key) => key.kind === 'column' && key.column === column);
    case 'dedup':
      return node.columns.length === 0 || node.columns.includes(column);
    case 'groupsWithState':
      return node.keyColumns === undefined || node.keyColumns.includes(column);
    default:
      return true;
  }
}

export function describeNode(node: StatefulNode): string {
  switch (node.kind) {
    case 'aggregate':
      return 'aggregation';
    case 'dedup':
      return 'deduplication';
    case 'streamJoin':
      return 'stream-stream join';
    default:
      return 'groupsWithState';
  }
}

function describeKey(key: GroupingKey): string {
  if (key.kind === 'column') return key.column;
  if (key.kind === 'window') return `window(${key.column})`;
  return `session_window(${key.column})`;
}

export function describeKeys(node: StatefulNode): string {
  switch (node.kind) {
    case 'aggregate':
      return `[${node.keys.map(describeKey).join(', ')}]`;
    case 'dedup':
      return `[${node.columns.join(', ')}]`;
    case 'streamJoin': {
      const analysis = analyzeStreamJoin(node, new Set(), new Set());
      return `[${analysis.keyLabels.join(', ')}]`;
    }
    default:
      return 'a key function';
  }
}
