export { adoptExchangePartition, type ExchangeAdoptionInput } from './adopt-partition.js';
export { bucketHashKey, bucketOfKey, EXCHANGE_BUCKETS } from './buckets.js';
export {
  ExchangeError,
  ExchangeFormatVersionError,
  ExchangeGapError,
  ExchangePutFailedError,
  ExchangeRowTooLargeError,
} from './errors.js';
export {
  type AppliedFloor,
  type ExchangeOffset,
  ExchangeReader,
  type ExchangeTail,
} from './exchange-reader.js';
export type {
  ExchangeRecord,
  ExchangeTransport,
  MarkerRecord,
  PositionedRecord,
  RowsRecord,
} from './exchange-record.js';
export { EXCHANGE_FORMAT_VERSION } from './exchange-record.js';
export { ExchangeWriter, type ExchangeWriterOptions } from './exchange-writer.js';
export { DEFAULT_MAX_EXCHANGE_RECORD_BYTES, MemoryExchange } from './memory-exchange.js';
export { partialAggregate, supportsPartialAggregation } from './partial-aggregate.js';
export { comparePositions, type ExchangePosition, isAfterPosition } from './positions.js';
export { decodeExchangeRecord, encodeExchangeRecord } from './record-codec.js';
export { partitionOfKey, routeKeyOf } from './routing.js';
