import type { QueryDefinition } from '../../api/writer.js';
import { InvalidQueryError } from '../../errors.js';
import type { PlanNode, SourceNode } from '../nodes.js';
import { collectNodes } from './plan-queries.js';

/**
 * A source that declares `eventTime` says which column holds event time; a `withWatermark` over
 * another column of that same source contradicts it and judges lateness by the wrong clock
 * (typically an ingestion or processing timestamp). Only columns that come straight from the
 * source are compared: a `map` or `flatMap` in between may have derived new time columns.
 */
export function watermarkOnDeclaredEventTime(query: QueryDefinition): void {
  for (const node of collectNodes(query.plan, (n) => n.kind === 'watermark')) {
    const source = sourceKeepingColumns(node.child);
    if (source?.eventTime === undefined || source.eventTime === node.column) continue;
    throw new InvalidQueryError(
      'WATERMARK_NOT_ON_EVENT_TIME',
      `Query '${query.name}' calls withWatermark('${node.column}', ...) on source '${source.name}', which declares its event time as '${source.eventTime}': a watermark over another column judges lateness by a different clock than the source's event time. Use withWatermark('${source.eventTime}', ...), or change the eventTime option of readStream('${source.name}').`,
      { query: query.name, source: source.name, column: node.column, eventTime: source.eventTime },
    );
  }
}

/** The source whose columns reach `node` unchanged (through filters, projections, dedup, watermarks). */
function sourceKeepingColumns(node: PlanNode): SourceNode | undefined {
  switch (node.kind) {
    case 'source':
      return node;
    case 'filter':
    case 'where':
    case 'select':
    case 'dedup':
    case 'watermark':
      return sourceKeepingColumns(node.child);
    default:
      return undefined;
  }
}
