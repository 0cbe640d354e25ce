import type { QueryDefinition } from '../../api/writer.js';
import { appendAggregationNeedsWatermark } from './append-aggregation-needs-watermark.js';
import { completeNeedsAggregation } from './complete-needs-aggregation.js';

/** A checker rule: throws `InvalidQueryError` when the query breaks it. */
export type Rule = (query: QueryDefinition) => void;

/** Every rule, in the order they are checked. */
export const RULES: readonly Rule[] = [completeNeedsAggregation, appendAggregationNeedsWatermark];
