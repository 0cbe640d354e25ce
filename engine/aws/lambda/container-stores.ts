import { ChangelogStateStore } from '../../state/changelog/changelog-state-store.js';
import type { StateStore } from '../../state/state-store.js';
import { DynamoDbStateStore } from '../dynamodb/dynamodb-state-store.js';
import { S3ProgressWriter } from '../s3/progress-writer.js';
import { S3StateObjects } from '../s3-state/s3-state-objects.js';
import type { KinesisHandlerOptions } from './kinesis-handler.js';

/** Where a query's objects live in its bucket. */
export interface QueryObjectsLocation {
  readonly client: KinesisHandlerOptions['clients']['s3'];
  readonly bucket: string;
  readonly prefix: string;
  readonly query: string;
}

/** What a Lambda container keeps for one query across invocations. */
export interface ContainerStores {
  readonly location: QueryObjectsLocation;
  readonly stateStore: StateStore;
  readonly progressWriter: S3ProgressWriter;
}

/**
 * The query's location, state store and progress writer, built once per container (both stages'
 * handlers use it): the changelog store's memory is the warm cache of the next invocations.
 */
export function containerStores(options: KinesisHandlerOptions, queryName: string): ContainerStores {
  const location: QueryObjectsLocation = {
    client: options.clients.s3,
    bucket: options.bucket,
    prefix: options.prefix,
    query: queryName,
  };
  const stateStore: StateStore =
    options.state === 'dynamodb'
      ? new DynamoDbStateStore({ client: options.clients.dynamodb, tableName: options.tableName })
      : new ChangelogStateStore({
          objects: new S3StateObjects(location),
          query: queryName,
          ...(options.stateMemoryLimit === undefined ? {} : { memoryLimit: options.stateMemoryLimit }),
        });
  return { location, stateStore, progressWriter: new S3ProgressWriter(location) };
}
