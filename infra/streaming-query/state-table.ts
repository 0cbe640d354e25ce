import type { RemovalPolicy } from 'aws-cdk-lib';
import {
  type Attribute,
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { stateTableDefinition, TABLE_LAYOUT } from '../../engine/aws/dynamodb/table-layout.js';
import { DEFAULT_REMOVAL_POLICY } from './defaults.js';

/** Props of {@link StateTable}. */
export interface StateTableProps {
  /** @default {@link DEFAULT_REMOVAL_POLICY} (RETAIN): state and checkpoints outlive the stack */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The DynamoDB table holding queries' state and checkpoints, declared from the same
 * `stateTableDefinition` the engine, the tests and local provisioning use, so the deployed keys and
 * the `byExpiry` index cannot drift from the code that reads them. On-demand, point-in-time
 * recovery, encrypted with the AWS-managed key, TTL on `ttl` (tombstones).
 *
 * Create one and pass it to several StreamingQuery constructs to share it; each query's function
 * is still limited to its own items.
 */
export class StateTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: StateTableProps = {}) {
    super(scope, id);
    const definition = stateTableDefinition('unused');
    const attribute = (name: string): Attribute => {
      const declared = definition.AttributeDefinitions?.find((a) => a.AttributeName === name);
      return { name, type: declared?.AttributeType === 'N' ? AttributeType.NUMBER : AttributeType.STRING };
    };
    const keyOf = (schema: typeof definition.KeySchema, type: 'HASH' | 'RANGE') =>
      attribute(schema?.find((k) => k.KeyType === type)?.AttributeName ?? '');

    this.table = new Table(this, 'Table', {
      partitionKey: keyOf(definition.KeySchema, 'HASH'),
      sortKey: keyOf(definition.KeySchema, 'RANGE'),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: TABLE_LAYOUT.ttlAttribute,
      removalPolicy: props.removalPolicy ?? DEFAULT_REMOVAL_POLICY,
    });
    for (const index of definition.LocalSecondaryIndexes ?? []) {
      this.table.addLocalSecondaryIndex({
        indexName: index.IndexName ?? '',
        sortKey: keyOf(index.KeySchema, 'RANGE'),
        projectionType: ProjectionType.ALL,
      });
    }
  }
}
