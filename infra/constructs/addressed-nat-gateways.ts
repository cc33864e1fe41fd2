import {
  type CfnEIP,
  type ConfigureNatOptions,
  type GatewayConfig,
  NatProvider,
  type PrivateSubnet,
  RouterType,
} from 'aws-cdk-lib/aws-ec2';

/**
 * NAT gateways, one per public subnet, each leaving through the Elastic IPs given for it: the first its primary, the
 * others secondary (AWS spreads a gateway's connections over them). CDK's own provider takes one address a gateway;
 * MX counts connections per caller address (docs/operations.md → MX's allow-list). Each private subnet routes to the
 * gateway of its AZ, as CDK's does.
 *
 * @example
 * new Vpc(scope, 'Vpc', { natGateways: 2, natGatewayProvider: new AddressedNatGateways([[a1, a3], [a2, a4]]) });
 */
export class AddressedNatGateways extends NatProvider {
  readonly #gateways: GatewayConfig[] = [];

  /** `addresses[i]`: the Elastic IPs of the i-th gateway, at least one. */
  constructor(private readonly addresses: readonly (readonly CfnEIP[])[]) {
    super();
  }

  configureNat({ natSubnets, privateSubnets }: ConfigureNatOptions): void {
    if (natSubnets.length > this.addresses.length) {
      throw new Error(`${natSubnets.length} NAT gateways need their addresses; ${this.addresses.length} given`);
    }
    natSubnets.forEach((subnet, i) => {
      const [primary, ...secondary] = this.addresses[i]!;
      if (!primary) throw new Error(`NAT gateway ${i + 1} has no address`);
      const gateway = subnet.addNatGateway(primary.attrAllocationId);
      if (secondary.length > 0) gateway.secondaryAllocationIds = secondary.map((address) => address.attrAllocationId);
      this.#gateways.push({ az: subnet.availabilityZone, gatewayId: gateway.ref });
    });
    for (const subnet of privateSubnets) this.configureSubnet(subnet);
  }

  configureSubnet(subnet: PrivateSubnet): void {
    const gateway = this.#gateways.find(({ az }) => az === subnet.availabilityZone) ?? this.#gateways[0];
    if (!gateway) throw new Error('no NAT gateway configured');
    subnet.addRoute('DefaultRoute', {
      routerType: RouterType.NAT_GATEWAY,
      routerId: gateway.gatewayId,
      enablesInternetConnectivity: true,
    });
  }

  get configuredGateways(): GatewayConfig[] {
    return this.#gateways;
  }
}
