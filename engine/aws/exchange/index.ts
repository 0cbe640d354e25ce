export {
  DEFAULT_PUT_ATTEMPTS,
  type InternalShard,
  KinesisExchange,
  type KinesisExchangeOptions,
  listInternalShards,
  PUT_RECORDS_MAX_BYTES,
  PUT_RECORDS_MAX_ENTRIES,
} from './kinesis-exchange.js';
