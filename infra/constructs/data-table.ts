import type { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../../lib/store/table.ts';

export interface DataTableProps {
  tableName: string;
  deletionProtection: boolean;
  pointInTimeRecovery: boolean;
  encryptionKey?: IKey;
  removalPolicy: RemovalPolicy;
}

/**
 * The single table, keyed as lib/store/table.ts creates it locally: `pk`/`sk`, GSI `gsi1` on `gsi1pk`/`gsi1sk` and
 * GSI `gsi2` on `gsi2pk`/`gsi2sk` (keys only: the code reads an item by the keys an index returns), items expiring
 * through `ttl`. A plain Table rather than TableV2: one region, and cdk-nag evaluates AWS::DynamoDB::Table (it skips
 * the GlobalTable that TableV2 synthesizes).
 */
export class DataTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: DataTableProps) {
    super(scope, id);
    this.table = new Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: TABLE_KEYS.pk, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sk, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_KEYS.ttl,
      deletionProtection: props.deletionProtection,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.pointInTimeRecovery },
      // Without a key of our own, DynamoDB's AWS-owned key: free, and no KMS calls on the request path.
      encryption: props.encryptionKey ? TableEncryption.CUSTOMER_MANAGED : TableEncryption.DEFAULT,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE_KEYS.gsi1,
      partitionKey: { name: TABLE_KEYS.gsi1pk, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.gsi1sk, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: TABLE_KEYS.gsi2,
      partitionKey: { name: TABLE_KEYS.gsi2pk, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.gsi2sk, type: AttributeType.STRING },
      projectionType: ProjectionType.KEYS_ONLY,
    });
  }
}
