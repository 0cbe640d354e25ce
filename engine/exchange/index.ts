export { type ExchangeOffset, ExchangeReader } from './exchange-reader.js';
export type { ExchangeRecord, ExchangeTransport, PositionedRecord } from './exchange-record.js';
export { DEFAULT_ROWS_PER_RECORD, ExchangeWriter, type ExchangeWriterOptions } from './exchange-writer.js';
export { MemoryExchange } from './memory-exchange.js';
export { partitionOfKey, routeKeyOf } from './routing.js';
