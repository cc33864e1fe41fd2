import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { MxEgress } from '../../infra/constructs/mx-egress.ts';
import { referencedId } from './support/template.ts';

/** Each gateway's addresses by the number of their logical ids (`Address3` → 3), its primary first. */
function egress(addressesPerGateway: number, spareAddresses: number) {
  const stack = new Stack(new App(), 'Egress', { env: { region: 'us-east-1', account: '111111111111' } });
  const mxEgress = new MxEgress(stack, 'MxEgress', {
    name: 'nexus-relay-test',
    natGateways: 2,
    addressesPerGateway,
    spareAddresses,
    logRetention: RetentionDays.ONE_DAY,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string; Properties: any }>;
  const number = (id: string | undefined) => Number(/Address(\d+)[0-9A-F]{8}$/.exec(id ?? '')?.[1]);
  const gateways = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::EC2::NatGateway')
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, r]) => [r.Properties.AllocationId, ...(r.Properties.SecondaryAllocationIds ?? [])].map(referencedId).map(number));
  const listed = mxEgress.addresses.map((address) => number(stack.getLogicalId(address)));
  return { gateways, listed };
}

describe('MxEgress', () => {
  it('gives each gateway its addresses, the first ones numbered by gateway, and lists every one for MX', () => {
    expect(egress(2, 0)).toEqual({
      gateways: [
        [1, 3],
        [2, 4],
      ],
      listed: [1, 2, 3, 4],
    });
  });

  it('lists spare addresses for MX to allow-list before any gateway sends from them; raised, they keep their names', () => {
    // Spare: made and listed, on no gateway.
    expect(egress(2, 2)).toEqual({
      gateways: [
        [1, 3],
        [2, 4],
      ],
      listed: [1, 2, 3, 4, 5, 6],
    });
    // Taken once MX approved them: the same two, one a gateway.
    expect(egress(3, 0)).toEqual({
      gateways: [
        [1, 3, 5],
        [2, 4, 6],
      ],
      listed: [1, 2, 3, 4, 5, 6],
    });
  });

  it("refuses more addresses a gateway than AWS allows, and spares that are not a gateway's worth", () => {
    expect(() => egress(9, 0)).toThrow(/1 to 8/);
    expect(() => egress(0, 0)).toThrow(/1 to 8/);
    expect(() => egress(2, -1)).toThrow(/0 or more/);
    // One spare for two gateways: raised, the second would take an address MX never approved.
    expect(() => egress(2, 1)).toThrow(/multiple of the 2 gateways/);
  });
});
