import { Fn, type RemovalPolicy, Tags } from 'aws-cdk-lib';
import {
  CfnEIP,
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  IpAddresses,
  Peer,
  Port,
  SecurityGroup,
  type SubnetSelection,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { AddressedNatGateways } from './addressed-nat-gateways.ts';
import type { FunctionNetwork } from './relay-function.ts';

export interface MxEgressProps {
  /** `nexus-relay-<env>`: the VPC's and the addresses' name. */
  name: string;
  /** NAT gateways, each in its own AZ (2 AZs): 1 costs half, and leans on one AZ. */
  natGateways: 1 | 2;
  /** Elastic IPs on each gateway (AWS allows 2 by default, 8 on request): MX limits connections per address. */
  addressesPerGateway: number;
  /**
   * Elastic IPs made and listed for MX, not yet on a gateway: the next ones `addressesPerGateway` takes. A gateway
   * uses an address as soon as it holds it, so an address is added spare, allow-listed, then taken.
   */
  spareAddresses: number;
  logRetention: RetentionDays;
  logsKey?: IKey;
  removalPolicy: RemovalPolicy;
}

/**
 * Where the functions that call MX go out from: MX allow-lists its callers' static IP addresses only (docs/operations.md
 * → MX's allow-list). A VPC of two AZs whose private subnets leave through NAT gateways holding Elastic IPs (the
 * addresses to give MX), DynamoDB reached through a gateway endpoint (free, off the NAT's per-GB charge), SQS, KMS and
 * Secrets Manager through the NAT (their few bytes cost less there than interface endpoints' hours: BENCHMARKS.md →
 * Capacity). The functions' security group lets out HTTPS only; rejected flows are logged.
 */
export class MxEgress extends Construct {
  readonly vpc: Vpc;
  readonly securityGroup: SecurityGroup;
  /** The Elastic IPs: each gateway's first (`Address1`, `Address2`), then the others, then the spares. */
  readonly addresses: CfnEIP[];
  readonly subnets: SubnetSelection = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };

  constructor(scope: Construct, id: string, props: MxEgressProps) {
    super(scope, id);
    const { natGateways, addressesPerGateway, spareAddresses } = props;
    if (!Number.isInteger(addressesPerGateway) || addressesPerGateway < 1 || addressesPerGateway > 8) {
      throw new Error(`addressesPerGateway must be 1 to 8 (AWS's most a NAT gateway holds); got ${addressesPerGateway}`);
    }
    // A gateway's worth at a time: raised by one, each gateway takes one of them, none an address MX never saw.
    if (!Number.isInteger(spareAddresses) || spareAddresses < 0 || spareAddresses % natGateways !== 0) {
      throw new Error(`spareAddresses must be a multiple of the ${natGateways} gateways, 0 or more; got ${spareAddresses}`);
    }
    // Numbered gateways first, spares last: adding addresses never renames (and so replaces) one MX already allow-lists.
    const used = natGateways * addressesPerGateway;
    this.addresses = Array.from({ length: used + spareAddresses }, (_, i) => {
      const address = new CfnEIP(this, `Address${i + 1}`, { domain: 'vpc' });
      address.applyRemovalPolicy(props.removalPolicy);
      Tags.of(address).add('Name', `${props.name}-mx-egress-${i + 1}`);
      return address;
    });
    const ofGateway = (g: number) => this.addresses.slice(0, used).filter((_, i) => i % natGateways === g);
    const flowLogs = new LogGroup(this, 'RejectedFlows', {
      logGroupName: `/aws/vpc/${props.name}-rejected-flows`,
      retention: props.logRetention,
      encryptionKey: props.logsKey,
      removalPolicy: props.removalPolicy,
    });
    this.vpc = new Vpc(this, 'Vpc', {
      vpcName: `${props.name}-mx-egress`,
      ipAddresses: IpAddresses.cidr('10.42.0.0/16'),
      maxAzs: 2,
      natGateways,
      natGatewayProvider: new AddressedNatGateways(Array.from({ length: natGateways }, (_, g) => ofGateway(g))),
      subnetConfiguration: [
        { name: 'nat', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'functions', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      gatewayEndpoints: { DynamoDb: { service: GatewayVpcEndpointAwsService.DYNAMODB } },
      // Nothing uses the default security group; restricting it would add a custom resource (and its Lambda).
      restrictDefaultSecurityGroup: false,
      flowLogs: {
        rejected: { destination: FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: FlowLogTrafficType.REJECT },
      },
    });
    this.securityGroup = new SecurityGroup(this, 'Functions', {
      vpc: this.vpc,
      securityGroupName: `${props.name}-mx-callers`,
      description: 'Functions that call MX: HTTPS out only (MX, and AWS APIs through the NAT or the DynamoDB endpoint)',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS to MX and AWS APIs');
  }

  /** The addresses MX must allow, comma-separated (each EIP's Ref is its address). */
  get addressList(): string {
    return Fn.join(
      ',',
      this.addresses.map((address) => address.ref),
    );
  }

  /** Where a function that calls MX is put: the private subnets, behind the functions' security group. */
  get network(): FunctionNetwork {
    return { vpc: this.vpc, subnets: this.subnets, securityGroup: this.securityGroup };
  }
}
