export { DynamoDbCheckpointStore, type DynamoDbCheckpointStoreOptions } from './dynamodb-checkpoint-store.js';
export { DynamoDbStateStore, type DynamoDbStateStoreOptions } from './dynamodb-state-store.js';
export { dynamoSize, MAX_ITEM_BYTES } from './item-size.js';
export { createStateTable, stateTableDefinition, TABLE_LAYOUT } from './table-layout.js';
