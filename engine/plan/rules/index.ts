import type { QueryDefinition } from '../../api/writer.js';
import { appendAggregationNeedsWatermark } from './append-aggregation-needs-watermark.js';
import { completeNeedsAggregation } from './complete-needs-aggregation.js';
import {
  flatMapGroupsWithStateModeMatches,
  mapGroupsWithStateNeedsUpdate,
  stateFunctionsCombine,
} from './groups-with-state-output-mode.js';
import { joinTypeIsSupported, staticSideNotPreserved } from './join-types.js';
import { oneTimeWindowPerGroupBy } from './multiple-windows.js';
import { statefulOperatorsFollowPartitionKey } from './partitioning.js';
import { queryNameIsSafe } from './query-name.js';
import { sessionWindowNotInUpdateMode } from './session-window-update-mode.js';
import { partitionColumnsAreUsable } from './sink-options.js';
import { limitOnlyInCompleteMode, sortOnlyOnCompleteAggregation } from './sort-limit.js';
import {
  chainedStatefulOperatorsNeedAppend,
  noAggregationAfterUpdatingStateFunction,
  noStatefulAfterEventTimeTimeout,
  noStatefulAfterStreamJoin,
} from './stateful-chaining.js';
import {
  joinTimeRangeIsNotEmpty,
  outerStreamJoinHasTimeRange,
  outerStreamJoinHasWatermarks,
  streamJoinNeedsKeys,
} from './stream-join-conditions.js';
import { streamJoinNeedsAppend } from './stream-join-output-mode.js';
import { watermarkOnDeclaredEventTime } from './watermark-on-event-time.js';
import { dedupWithinWatermarkNeedsWatermark, eventTimeTimeoutNeedsWatermark } from './watermark-required.js';

/** A checker rule: throws `InvalidQueryError` with rule name {@link CheckerRule.name} when the query breaks it. */
export interface CheckerRule {
  /** The stable UPPER_SNAKE name the rule's error carries (`error.rule`; `error.code` is `SLUICE_<name>`). */
  readonly name: string;
  readonly check: (query: QueryDefinition) => void;
}

/**
 * Every rule, in the order they are checked. The order decides which error a query with several
 * problems gets first: names and sink options, then the shape of groupings and joins, then the
 * watermarks those need, then the output-mode matrix, and last the chaining of stateful
 * operators, whose message assumes each operator is valid on its own.
 */
export const RULES: readonly CheckerRule[] = [
  { name: 'INVALID_QUERY_NAME', check: queryNameIsSafe },
  { name: 'INVALID_PARTITION_COLUMN', check: partitionColumnsAreUsable },
  { name: 'MULTIPLE_TIME_WINDOWS_IN_GROUP_BY', check: oneTimeWindowPerGroupBy },
  { name: 'UNSUPPORTED_JOIN_TYPE', check: joinTypeIsSupported },
  { name: 'STREAM_STATIC_JOIN_PRESERVES_STATIC_SIDE', check: staticSideNotPreserved },
  { name: 'STREAM_JOIN_WITHOUT_KEYS', check: streamJoinNeedsKeys },
  { name: 'EMPTY_JOIN_TIME_RANGE', check: joinTimeRangeIsNotEmpty },
  { name: 'WATERMARK_NOT_ON_EVENT_TIME', check: watermarkOnDeclaredEventTime },
  { name: 'EVENT_TIME_TIMEOUT_WITHOUT_WATERMARK', check: eventTimeTimeoutNeedsWatermark },
  { name: 'DEDUP_WITHIN_WATERMARK_WITHOUT_WATERMARK', check: dedupWithinWatermarkNeedsWatermark },
  { name: 'OUTER_STREAM_JOIN_WITHOUT_WATERMARK', check: outerStreamJoinHasWatermarks },
  { name: 'OUTER_STREAM_JOIN_WITHOUT_TIME_RANGE', check: outerStreamJoinHasTimeRange },
  { name: 'COMPLETE_MODE_WITHOUT_AGGREGATION', check: completeNeedsAggregation },
  { name: 'APPEND_AGGREGATION_WITHOUT_WATERMARK', check: appendAggregationNeedsWatermark },
  { name: 'SORT_NOT_ON_COMPLETE_AGGREGATION', check: sortOnlyOnCompleteAggregation },
  { name: 'LIMIT_NOT_IN_COMPLETE_MODE', check: limitOnlyInCompleteMode },
  { name: 'MAP_GROUPS_WITH_STATE_NOT_IN_UPDATE_MODE', check: mapGroupsWithStateNeedsUpdate },
  { name: 'FLAT_MAP_GROUPS_WITH_STATE_MODE_MISMATCH', check: flatMapGroupsWithStateModeMatches },
  { name: 'UNSUPPORTED_STATE_FUNCTION_COMBINATION', check: stateFunctionsCombine },
  { name: 'STREAM_JOIN_NOT_IN_APPEND_MODE', check: streamJoinNeedsAppend },
  { name: 'SESSION_WINDOW_IN_UPDATE_MODE', check: sessionWindowNotInUpdateMode },
  { name: 'STATEFUL_OPERATOR_AFTER_STREAM_JOIN', check: noStatefulAfterStreamJoin },
  { name: 'STATEFUL_OPERATOR_AFTER_EVENT_TIME_TIMEOUT', check: noStatefulAfterEventTimeTimeout },
  {
    name: 'AGGREGATION_AFTER_GROUPS_WITH_STATE_IN_UPDATE_MODE',
    check: noAggregationAfterUpdatingStateFunction,
  },
  { name: 'CHAINED_STATEFUL_OPERATORS_NOT_IN_APPEND_MODE', check: chainedStatefulOperatorsNeedAppend },
  { name: 'GROUPING_IGNORES_PARTITION_KEY', check: statefulOperatorsFollowPartitionKey },
];
