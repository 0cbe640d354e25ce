export { HEARTBEAT_ENVIRONMENT, type HeartbeatConfig, parseHeartbeatConfig } from './config.js';
export {
  HeartbeatConfigurationError,
  HeartbeatError,
  HeartbeatPutError,
  HeartbeatRequestError,
} from './errors.js';
export { type OpenShard, quietShards } from './quiet-shards.js';
export { type HeartbeatTick, type SendHeartbeatsOptions, sendHeartbeats } from './send-heartbeats.js';
