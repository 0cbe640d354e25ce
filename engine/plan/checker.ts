import type { QueryDefinition } from '../api/writer.js';
import { InvalidQueryError } from '../errors.js';
import { type CheckerRule, RULES } from './rules/index.js';

/**
 * Checks a query before it runs, like Spark's `UnsupportedOperationChecker`: every rule in
 * `rules/` inspects the logical plan (never data), and the first broken one throws an
 * {@link InvalidQueryError} whose `rule` names it and whose message names the query, the
 * problem and the fix. `DataStreamWriter.build()` calls it, so an invalid query never starts.
 *
 * @example
 * try { stream.writeStream.outputMode('complete').build() }
 * catch (e) { if (e instanceof InvalidQueryError) console.log(e.rule) } // 'COMPLETE_MODE_WITHOUT_AGGREGATION'
 */
export function checkQuery(query: QueryDefinition): void {
  for (const rule of RULES) rule.check(query);
}

export { type CheckerRule, InvalidQueryError, RULES };
