import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import { collectNodes, SUPPORTED_JOIN_TYPES } from './plan-queries.js';

/**
 * Only inner, left outer and right outer joins have operators; the type system says so, but a
 * JavaScript caller or a value read from configuration can pass anything (e.g. `'full_outer'`).
 */
export function joinTypeIsSupported(query: QueryDefinition): void {
  for (const node of collectNodes(query.plan, (n) => n.kind === 'streamJoin' || n.kind === 'staticJoin')) {
    if (SUPPORTED_JOIN_TYPES.includes(node.how)) continue;
    throw new InvalidQueryError(
      'UNSUPPORTED_JOIN_TYPE',
      `Query '${query.name}' joins with how: ${JSON.stringify(node.how)}, which sluice does not support. Use one of ${SUPPORTED_JOIN_TYPES.map((how) => `'${how}'`).join(', ')}.`,
      { query: query.name, how: node.how },
    );
  }
}

/**
 * In a stream-static join the stream is the left side. A right outer join preserves the static
 * rows, and a static row could only be emitted with nulls once no stream row will ever match it,
 * which never happens on an unbounded stream. Spark rejects it the same way.
 */
export function staticSideNotPreserved(query: QueryDefinition): void {
  for (const node of collectNodes(query.plan, (n) => n.kind === 'staticJoin')) {
    if (node.how !== 'right_outer') continue;
    throw new InvalidQueryError(
      'STREAM_STATIC_JOIN_PRESERVES_STATIC_SIDE',
      `Query '${query.name}' right-outer-joins a stream with a static dataset: that would emit each static row with nulls once no stream row can match it any more, which never happens on an unbounded stream. Use how: 'left_outer' (keeps every stream row) or 'inner'.`,
      { query: query.name, how: node.how },
    );
  }
}
