import { DEFAULT_SHARD_WATERMARK, type QueryDefinition } from '../api/writer.js';
import { watermarkedColumnsOf } from '../runtime/watermarked-columns.js';
import { sqlText } from './expressions/sql-text.js';
import { type AggregateNode, type PlanNode, walkPlan } from './nodes.js';

/**
 * Format version of the fingerprint; bump when what it describes changes, so that a checkpoint
 * written by an older version fails with a message about the format rather than about an operator.
 * v2 added the input sources and the aggregation's state retention.
 */
const FINGERPRINT_VERSION = 2;

/**
 * The plan fingerprint stored with the checkpoint and compared on every start, like Spark's
 * rules for "recovery semantics after changes in a streaming query". It is readable JSON, so a
 * mismatch can name the operator that changed (see {@link firstDifference}).
 *
 * What it holds, and why:
 * - the **input sources** by name, in plan order: offsets are stored per source, so reading a
 *   different or an extra stream cannot resume from them (Spark forbids changing the number or
 *   kind of sources);
 * - each **stateful operator** in plan order (post-order, which is also the order their state
 *   namespaces `kind-N` are numbered in), with what shapes its state: grouping keys including
 *   window duration, slide and start and session gap (a state row is one window), aggregate
 *   functions with their input column and parameters (accumulators are stored by position),
 *   dedup columns, the state function's kind and timeout, join keys, type and time range;
 * - for an aggregation, its **retention**: `watermark` when state rows expire with the watermark
 *   (a watermarked time key, append or update mode) and `forever` otherwise (complete mode keeps
 *   every group). Switching between them would leave rows without an expiry that are never evicted,
 *   or a "complete" table missing the groups already evicted;
 * - each **`withWatermark` column**, in plan order: the checkpoint keeps one watermark per
 *   `withWatermark`, by position;
 * - with a watermark, the **shard watermark policy** (`shardWatermark`, absent from fingerprints
 *   written before it existed, which read as `per-shard`): it decides which windows a batch closes,
 *   so a change between deploys fails fast and names the setting rather than mixing two rules.
 *
 * What it leaves out, on purpose: stateless steps (filters, maps, projections, stream-static
 * joins), so they may change across restarts; **watermark delays**, which Spark also lets change:
 * the stored watermark is restored and only moves forward, and state expiry derives from window
 * ends and event times (a `dropDuplicatesWithinWatermark` key keeps the expiry it was stored with);
 * the sink; and the output mode beyond the retention above (append ↔ update keeps the same state).
 */
export function describePlan(query: QueryDefinition): string {
  const sources: string[] = [];
  const operators: unknown[] = [];
  let watermarked = false;
  walkPlan(query.plan, (node) => {
    if (node.kind === 'source' && !sources.includes(node.name)) sources.push(node.name);
    if (node.kind === 'watermark') watermarked = true;
    const described = describeNode(node, query);
    if (described !== undefined) operators.push(described);
  });
  const shardWatermark = watermarked
    ? { shardWatermark: query.shardWatermark ?? DEFAULT_SHARD_WATERMARK }
    : {};
  return JSON.stringify({ v: FINGERPRINT_VERSION, query: query.name, sources, operators, ...shardWatermark });
}

function describeNode(node: PlanNode, query: QueryDefinition): unknown {
  switch (node.kind) {
    case 'aggregate':
      return {
        op: 'aggregate',
        keys: node.keys,
        aggregates: Object.entries(node.aggregates).map(([name, fn]) => [name, fn.name, fn.column ?? null]),
        retention: retentionOf(node, query),
      };
    case 'dedup':
      return { op: node.withinWatermark ? 'dedupWithinWatermark' : 'dedup', columns: node.columns };
    case 'groupsWithState':
      return { op: node.flat ? 'flatMapGroupsWithState' : 'mapGroupsWithState', timeout: node.timeout };
    case 'streamJoin':
      return {
        op: 'streamJoin',
        on: node.on,
        how: node.how,
        timeRange: node.timeRange ?? null,
        ...(node.condition === undefined ? {} : { condition: sqlText(node.condition) }),
      };
    case 'watermark':
      return { op: 'watermark', column: node.column };
    default:
      return undefined;
  }
}

function retentionOf(node: AggregateNode, query: QueryDefinition): 'watermark' | 'forever' {
  if (query.outputMode === 'complete') return 'forever';
  const watermarked = watermarkedColumnsOf(node.child);
  return node.keys.some((key) => watermarked.has(key.column)) ? 'watermark' : 'forever';
}

interface Fingerprint {
  readonly v: number;
  readonly query: string;
  readonly sources?: readonly string[];
  readonly operators: readonly unknown[];
  readonly shardWatermark?: string;
}

/**
 * Says what differs between a stored and a current fingerprint, naming the operator by its
 * position and kind, for {@link IncompatiblePlanError} messages.
 */
export function firstDifference(stored: string, current: string): string {
  let before: Fingerprint;
  let after: Fingerprint;
  try {
    before = JSON.parse(stored) as Fingerprint;
    after = JSON.parse(current) as Fingerprint;
  } catch {
    return 'the stored fingerprint is unreadable';
  }
  if (before.v !== after.v)
    return `the checkpoint has fingerprint format ${before.v}, this version writes ${after.v}`;
  const sourcesBefore = JSON.stringify(before.sources ?? []);
  const sourcesAfter = JSON.stringify(after.sources ?? []);
  if (sourcesBefore !== sourcesAfter)
    return `the input sources were ${sourcesBefore} and are now ${sourcesAfter}`;
  const was = before.operators.map((operator) => JSON.stringify(operator));
  const is = after.operators.map((operator) => JSON.stringify(operator));
  const i = firstMismatch(was, is);
  if (i === undefined && before.shardWatermark !== after.shardWatermark) {
    const stored = before.shardWatermark ?? 'per-shard';
    return `the shard watermark policy was '${stored}' and is now '${after.shardWatermark ?? 'per-shard'}' (set writeStream.shardWatermark('${stored}') to keep the checkpoint's rule)`;
  }
  if (i === undefined) {
    return before.query !== after.query
      ? `the query name changed from '${before.query}'`
      : 'the fingerprints differ';
  }
  // One operator inserted or removed at i, the rest unchanged: say so rather than "i changed".
  if (is.length === was.length + 1 && firstMismatch(was.slice(i), is.slice(i + 1)) === undefined) {
    return `operator #${i} (${opOf(after.operators[i])}) was added: ${is[i]}`;
  }
  if (was.length === is.length + 1 && firstMismatch(was.slice(i + 1), is.slice(i)) === undefined) {
    return `operator #${i} (${opOf(before.operators[i])}) was removed: ${was[i]}`;
  }
  const kinds = [opOf(before.operators[i]), opOf(after.operators[i])];
  const label = kinds[0] === kinds[1] ? kinds[0] : `${kinds[0]}, now ${kinds[1]}`;
  return `operator #${i} (${label}) changed: it was ${was[i] ?? 'absent'} and is now ${is[i] ?? 'absent'}`;
}

function firstMismatch(a: readonly string[], b: readonly string[]): number | undefined {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return undefined;
}

function opOf(described: unknown): string {
  const op = (described as { op?: unknown } | null)?.op;
  return typeof op === 'string' ? op : 'unknown';
}
