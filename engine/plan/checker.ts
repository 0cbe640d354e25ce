import type { QueryDefinition } from '../api/writer.js';
import { InvalidQueryError } from '../errors.js';
import { RULES } from './rules/index.js';

/**
 * Checks a query before it runs, like Spark's `UnsupportedOperationChecker`. Each rule is a
 * function in `rules/` that throws an {@link InvalidQueryError} naming the rule and the fix.
 */
export function checkQuery(query: QueryDefinition): void {
  for (const rule of RULES) rule(query);
}

export { InvalidQueryError };
