import { type Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { type IMetric, MathExpression } from 'aws-cdk-lib/aws-cloudwatch';
import {
  AttributeType,
  BillingMode,
  type EnableScalingProps,
  type IScalableTableAttribute,
  Operation,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { TABLE_KEYS } from '../../lib/store/table.ts';

/** Capacity units a second, each way, between which auto scaling moves. */
export interface CapacityRange {
  min: number;
  max: number;
}

export interface AutoscaledCapacity {
  read: CapacityRange;
  write: CapacityRange;
}

/**
 * On-demand: billed a request, no capacity to manage. Provisioned: the table and each index keep
 * `targetUtilizationPercent` of their capacity in use, auto scaling between each range's bounds
 * (docs/decisions/0035-provisioned-table-at-scale.md).
 */
export type TableThroughput =
  | { mode: 'on-demand' }
  | {
      mode: 'provisioned';
      targetUtilizationPercent: number;
      table: AutoscaledCapacity;
      gsi1: AutoscaledCapacity;
      gsi2: AutoscaledCapacity;
    };

export interface DataTableProps {
  tableName: string;
  deletionProtection: boolean;
  pointInTimeRecovery: boolean;
  throughput: TableThroughput;
  encryptionKey?: IKey;
  removalPolicy: RemovalPolicy;
}

/**
 * Throttled requests in an alarm period that page. DynamoDB counts every throttled attempt, those the SDK then retried
 * with success too: a few while auto scaling catches up are expected; this many is a rise it is not following.
 */
export const TABLE_THROTTLES_THRESHOLD = 100;

/** The operations the relay's functions call: what a throttled request can be (an alarm takes at most 10 metrics). */
const RELAY_OPERATIONS = [
  Operation.GET_ITEM,
  Operation.BATCH_GET_ITEM,
  Operation.QUERY,
  Operation.PUT_ITEM,
  Operation.UPDATE_ITEM,
  Operation.DELETE_ITEM,
  Operation.BATCH_WRITE_ITEM,
];

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
    const provisioned = props.throughput.mode === 'provisioned' ? props.throughput : undefined;
    this.table = new Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: { name: TABLE_KEYS.pk, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sk, type: AttributeType.STRING },
      billingMode: provisioned ? BillingMode.PROVISIONED : BillingMode.PAY_PER_REQUEST,
      readCapacity: provisioned?.table.read.min,
      writeCapacity: provisioned?.table.write.min,
      timeToLiveAttribute: TABLE_KEYS.ttl,
      deletionProtection: props.deletionProtection,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.pointInTimeRecovery },
      // Without a key of our own, DynamoDB's AWS-owned key: free, and no KMS calls on the request path.
      encryption: props.encryptionKey ? TableEncryption.CUSTOMER_MANAGED : TableEncryption.DEFAULT,
      encryptionKey: props.encryptionKey,
      removalPolicy: props.removalPolicy,
    });
    for (const index of [TABLE_KEYS.gsi1, TABLE_KEYS.gsi2] as const) {
      const pk = index === TABLE_KEYS.gsi1 ? TABLE_KEYS.gsi1pk : TABLE_KEYS.gsi2pk;
      const sk = index === TABLE_KEYS.gsi1 ? TABLE_KEYS.gsi1sk : TABLE_KEYS.gsi2sk;
      this.table.addGlobalSecondaryIndex({
        indexName: index,
        partitionKey: { name: pk, type: AttributeType.STRING },
        sortKey: { name: sk, type: AttributeType.STRING },
        projectionType: ProjectionType.KEYS_ONLY,
        readCapacity: provisioned?.[index].read.min,
        writeCapacity: provisioned?.[index].write.min,
      });
    }
    if (!provisioned) return;
    const track = (attribute: IScalableTableAttribute) =>
      attribute.scaleOnUtilization({ targetUtilizationPercent: provisioned.targetUtilizationPercent });
    const range = ({ min, max }: CapacityRange): EnableScalingProps => ({ minCapacity: min, maxCapacity: max });
    track(this.table.autoScaleReadCapacity(range(provisioned.table.read)));
    track(this.table.autoScaleWriteCapacity(range(provisioned.table.write)));
    for (const index of [TABLE_KEYS.gsi1, TABLE_KEYS.gsi2] as const) {
      track(this.table.autoScaleGlobalSecondaryIndexReadCapacity(index, range(provisioned[index].read)));
      track(this.table.autoScaleGlobalSecondaryIndexWriteCapacity(index, range(provisioned[index].write)));
    }
  }

  /**
   * Requests DynamoDB throttled (the table's or an index's capacity, or a partition's limit), summed over a period.
   * DynamoDB publishes an operation's count only when it throttled one: each missing series counts as 0, or the sum
   * would have a value only when every operation was throttled.
   */
  throttledRequests(period: Duration): IMetric {
    const usingMetrics = Object.fromEntries(
      RELAY_OPERATIONS.map((operation, i) => [
        `op${i}`,
        this.table.metric('ThrottledRequests', {
          dimensionsMap: { TableName: this.table.tableName, Operation: operation },
          statistic: 'Sum',
          period,
        }),
      ]),
    );
    return new MathExpression({
      expression: Object.keys(usingMetrics)
        .map((id) => `FILL(${id}, 0)`)
        .join(' + '),
      usingMetrics,
      label: 'Throttled requests',
      period,
    });
  }
}
