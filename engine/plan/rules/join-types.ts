import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import { collectNodes, SUPPORTED_JOIN_TYPES } from './plan-queries.js';

/**
 * The join types Spark supports on streams: the type system says which, but a JavaScript caller
 * or a value read from configuration can pass anything (e.g. `'cross'`). A left anti join of two
 * streams is refused as in Spark: a left row could only be output once no right row can ever
 * match it.
 */
export function joinTypeIsSupported(query: QueryDefinition): void {
  for (const node of collectNodes(query.plan, (n) => n.kind === 'streamJoin' || n.kind === 'staticJoin')) {
    if (node.kind === 'streamJoin' && node.how === 'left_anti') {
      throw new InvalidQueryError(
        'UNSUPPORTED_JOIN_TYPE',
        `Query '${query.name}' left-anti-joins two streams: a left row could only be output once no right row can ever match it. Spark refuses it too; use a left_outer join with a time range and keep the rows whose right columns are null.`,
        { query: query.name, how: node.how },
      );
    }
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
    if (node.how !== 'right_outer' && node.how !== 'full_outer') continue;
    throw new InvalidQueryError(
      'STREAM_STATIC_JOIN_PRESERVES_STATIC_SIDE',
      `Query '${query.name}' ${node.how === 'full_outer' ? 'full-outer' : 'right-outer'}-joins a stream with a static dataset: that would emit each static row with nulls once no stream row can match it any more, which never happens on an unbounded stream. Use how: 'left_outer' (keeps every stream row) or 'inner'.`,
      { query: query.name, how: node.how },
    );
  }
}
