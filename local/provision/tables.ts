import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
} from '@aws-sdk/client-dynamodb';
import { ResourceCreationError } from './errors.js';
import { localName } from './names.js';
import { type CfnTemplate, literalProperty, RESOURCE_TYPES, resourcesOfType } from './template.js';
import type { LocalTable } from './types.js';

const ACTIVE_POLL_MS = 10;
const ACTIVE_TIMEOUT_MS = 30_000;
/** Capacity for provisioned-mode tables and indexes (emulators do not throttle). */
const LOCAL_THROUGHPUT = { ReadCapacityUnits: 5, WriteCapacityUnits: 5 };

/** A table to create: its local name and the CreateTable input read from the template. */
export interface TablePlan {
  readonly logicalId: string;
  readonly name: string;
  readonly input: CreateTableCommandInput;
}

/**
 * The template's tables, each as a CreateTable input with the key schema, attribute definitions,
 * local and global secondary indexes exactly as declared. Billing mode is kept; encryption,
 * point-in-time recovery, TTL and streams are not emulated (dynalite lacks them) and are skipped.
 */
export function planTables(
  template: CfnTemplate,
  naming: { readonly stackName: string; readonly suffix?: string },
): TablePlan[] {
  return resourcesOfType(template, RESOURCE_TYPES.table).map(([logicalId, resource]) => {
    const named = literalProperty(logicalId, resource, 'TableName', '');
    const name = named !== '' ? named : localName('table', naming.stackName, logicalId, naming.suffix);
    const properties = resource.Properties ?? {};
    const onDemand = properties.BillingMode === 'PAY_PER_REQUEST';
    const throughput = onDemand ? {} : { ProvisionedThroughput: LOCAL_THROUGHPUT };
    const local = (properties.LocalSecondaryIndexes ?? []) as LocalSecondaryIndex[];
    const global = (properties.GlobalSecondaryIndexes ?? []) as GlobalSecondaryIndex[];
    const input: CreateTableCommandInput = {
      TableName: name,
      BillingMode: onDemand ? 'PAY_PER_REQUEST' : 'PROVISIONED',
      ...throughput,
      AttributeDefinitions: properties.AttributeDefinitions as AttributeDefinition[],
      KeySchema: properties.KeySchema as KeySchemaElement[],
      ...(local.length === 0
        ? {}
        : {
            LocalSecondaryIndexes: local.map((index) => ({
              IndexName: index.IndexName,
              KeySchema: index.KeySchema,
              Projection: index.Projection,
            })),
          }),
      ...(global.length === 0
        ? {}
        : {
            GlobalSecondaryIndexes: global.map((index) => ({
              IndexName: index.IndexName,
              KeySchema: index.KeySchema,
              Projection: index.Projection,
              ...throughput,
            })),
          }),
    };
    return { logicalId, name, input };
  });
}

/** Creates the table (an existing one of that name is reused) and waits until it is ACTIVE. */
export async function createTable(client: DynamoDBClient, plan: TablePlan): Promise<LocalTable> {
  try {
    await client.send(new CreateTableCommand(plan.input));
  } catch (error) {
    if ((error as Error).name !== 'ResourceInUseException')
      throw new ResourceCreationError('DynamoDB table', plan.name, error);
  }
  const started = performance.now();
  for (;;) {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: plan.name }));
    if (table?.TableStatus === 'ACTIVE' && table.TableArn !== undefined) {
      return { logicalId: plan.logicalId, name: plan.name, arn: table.TableArn };
    }
    if (performance.now() - started > ACTIVE_TIMEOUT_MS) {
      throw new ResourceCreationError(
        'DynamoDB table',
        plan.name,
        new Error(`still ${table?.TableStatus ?? 'unknown'} after ${ACTIVE_TIMEOUT_MS} ms`),
      );
    }
    await sleep(ACTIVE_POLL_MS);
  }
}
