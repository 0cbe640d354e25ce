import type { QueryDefinition } from '../api/writer.js';
import { AggregateExec } from '../operators/aggregate/aggregate-exec.js';
import { SessionWindowExec } from '../operators/aggregate/session-exec.js';
import { compileDedup } from '../operators/dedup/compile-dedup.js';
import { compileGroupsWithState } from '../operators/groups-with-state/groups-with-state-exec.js';
import { compileStaticJoin } from '../operators/join/static-join-exec.js';
import { compileStreamJoin } from '../operators/join/stream-join-exec.js';
import { LimitExec, SortExec } from '../operators/sort-limit.js';
import { SourceExec } from '../operators/source.js';
import { StatelessExec } from '../operators/stateless.js';
import { UnionExec } from '../operators/union.js';
import { WatermarkExec } from '../operators/watermark.js';
import { type PlanNode, type StatelessNode, walkPlan } from '../plan/nodes.js';
import { requiredColumns } from '../plan/required-columns.js';
import type { PhysicalOperator, StatefulOperator } from './operator.js';
import { watermarkedColumnsOf } from './watermarked-columns.js';

/** A query compiled for execution. */
export interface PhysicalPlan {
  readonly root: PhysicalOperator;
  /** Stateful operators in plan order; their ids name their state namespaces. */
  readonly statefulOperators: readonly StatefulOperator[];
  /** Ids of the `withWatermark` operators, in plan order. */
  readonly watermarkIds: readonly string[];
  /** The sources below each `withWatermark` operator (event time seen per source counts there). */
  readonly watermarkSources: ReadonlyMap<string, readonly string[]>;
  /** Sources read by the query. */
  readonly sources: readonly string[];
}

/** Everything a node compiler needs besides the node. */
export interface CompileContext {
  readonly query: QueryDefinition;
  compile(node: PlanNode): PhysicalOperator;
  /** Allocates the id of the next stateful operator, e.g. `aggregate-0`. Ids follow plan order. */
  nextStatefulId(kind: string): string;
  registerStateful(operator: StatefulOperator): void;
  /** Columns carrying a watermark in the rows leaving `node`. */
  watermarkedColumns(node: PlanNode): ReadonlySet<string>;
  /** Columns read downstream of `node`, `undefined` for all (see `requiredColumns`). */
  requiredColumns(node: PlanNode): ReadonlySet<string> | undefined;
}

/**
 * Turns the logical plan into physical operators. Ids are assigned in post-order so they stay
 * the same when stateless steps (filters, projections) are added or removed.
 */
export function compileQuery(query: QueryDefinition): PhysicalPlan {
  const statefulOperators: StatefulOperator[] = [];
  const watermarkIds: string[] = [];
  const watermarkSources = new Map<string, string[]>();
  const sources: string[] = [];
  let statefulCount = 0;

  const ctx: CompileContext = {
    query,
    compile,
    nextStatefulId: (kind) => `${kind}-${statefulCount++}`,
    registerStateful: (operator) => statefulOperators.push(operator),
    watermarkedColumns: watermarkedColumnsOf,
    requiredColumns: requiredColumns(query.plan),
  };

  function compile(node: PlanNode): PhysicalOperator {
    switch (node.kind) {
      case 'source':
        if (!sources.includes(node.name)) sources.push(node.name);
        return new SourceExec(node.name);
      case 'map':
      case 'filter':
      case 'flatMap':
      case 'select':
      case 'project':
      case 'where': {
        const steps: StatelessNode[] = [];
        let current: PlanNode = node;
        while (
          current.kind === 'map' ||
          current.kind === 'filter' ||
          current.kind === 'flatMap' ||
          current.kind === 'select' ||
          current.kind === 'project' ||
          current.kind === 'where'
        ) {
          steps.unshift(current);
          current = current.child;
        }
        return new StatelessExec(compile(current), steps);
      }
      case 'watermark': {
        const child = compile(node.child);
        const id = `watermark-${watermarkIds.length}`;
        watermarkIds.push(id);
        const below: string[] = [];
        walkPlan(node.child, (n) => {
          if (n.kind === 'source' && !below.includes(n.name)) below.push(n.name);
        });
        watermarkSources.set(id, below);
        return new WatermarkExec(child, id, node.column);
      }
      case 'union':
        return new UnionExec(node.children.map(compile));
      case 'sort':
        return new SortExec(compile(node.child), node.orders);
      case 'limit':
        return new LimitExec(compile(node.child), node.n);
      case 'aggregate': {
        const child = compile(node.child);
        const Exec = node.keys.some((key) => key.kind === 'session') ? SessionWindowExec : AggregateExec;
        const operator = new Exec(
          child,
          ctx.nextStatefulId('aggregate'),
          node,
          watermarkedColumnsOf(node.child),
          query.outputMode,
        );
        statefulOperators.push(operator);
        return operator;
      }
      default:
        return compileExtension(node, ctx);
    }
  }

  const root = compile(query.plan);
  return { root, statefulOperators, watermarkIds, watermarkSources, sources };
}

/** Node kinds whose compilers live next to their operators. */
function compileExtension(node: PlanNode, ctx: CompileContext): PhysicalOperator {
  switch (node.kind) {
    case 'dedup':
      return compileDedup(node, ctx);
    case 'groupsWithState':
      return compileGroupsWithState(node, ctx);
    case 'staticJoin':
      return compileStaticJoin(node, ctx);
    case 'streamJoin':
      return compileStreamJoin(node, ctx);
    default:
      throw new Error(`No physical operator for plan node '${node.kind}' yet.`);
  }
}
