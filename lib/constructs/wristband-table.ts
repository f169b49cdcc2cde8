/**
 * The single DynamoDB table, built from the same createTableInput() the
 * local stack and the tests give their emulator, so the layout the code was
 * tested against is the layout that gets deployed.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, type Attribute } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { createTableInput, TABLE } from '../../lambdas/contract/table-schema';

export interface WristbandTableProps {
  /** RETAIN (the default for real stacks) also turns on deletion protection. */
  readonly removalPolicy: RemovalPolicy;
}

type KeySchema = readonly { readonly AttributeName: string; readonly KeyType: 'HASH' | 'RANGE' }[];

const ATTRIBUTE_TYPES = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY } as const;

export class WristbandTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: WristbandTableProps) {
    super(scope, id);
    // The name is only a placeholder here: CloudFormation names the table.
    const schema = createTableInput('');
    const attribute = (keys: KeySchema, type: 'HASH' | 'RANGE'): Attribute => {
      const name = keys.find((k) => k.KeyType === type)?.AttributeName;
      const definition = schema.AttributeDefinitions.find((d) => d.AttributeName === name);
      if (!name || !definition) throw new Error(`table schema has no ${type} key with an attribute definition`);
      return { name, type: ATTRIBUTE_TYPES[definition.AttributeType] };
    };
    const retain = props.removalPolicy === RemovalPolicy.RETAIN;

    this.table = new Table(this, 'Table', {
      partitionKey: attribute(schema.KeySchema, 'HASH'),
      sortKey: attribute(schema.KeySchema, 'RANGE'),
      billingMode: schema.BillingMode === 'PAY_PER_REQUEST' ? BillingMode.PAY_PER_REQUEST : BillingMode.PROVISIONED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TABLE.ttlAttribute,
      removalPolicy: props.removalPolicy,
      deletionProtection: retain,
    });

    for (const index of schema.GlobalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.IndexName,
        partitionKey: attribute(index.KeySchema, 'HASH'),
        sortKey: attribute(index.KeySchema, 'RANGE'),
        projectionType: ProjectionType[index.Projection.ProjectionType],
        nonKeyAttributes: [...index.Projection.NonKeyAttributes],
      });
    }
  }
}
