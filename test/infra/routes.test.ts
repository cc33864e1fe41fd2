import { describe, expect, it } from 'vitest';
import { DEFAULT_ROUTE_FUNCTION } from '../../infra/constructs/http-api.ts';
import { ENVIRONMENT_NAMES, ENVIRONMENTS } from '../../infra/environments.ts';
import { DEFAULT_ROUTE_KEY, routeKey } from '../../lib/http/route.ts';
import { ROUTES } from '../../lib/route-table.ts';
import { synthesized } from './support/synth.ts';
import { functionsByName, referencedId, resourceById, resourcesOfType } from './support/template.ts';

describe('the HttpApi routes', () => {
  const { template } = synthesized('prod');
  const functions = functionsByName(template, 'prod');
  const routes = resourcesOfType(template, 'AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties);

  /** The function an HttpApi route invokes: route → integration → IntegrationUri (the function's ARN). */
  const targetOf = (route: { Target: { 'Fn::Join': [string, unknown[]] } }): string => {
    const integrationId = referencedId(route.Target['Fn::Join'][1][1])!;
    const functionId = referencedId(resourceById(template, integrationId).Properties.IntegrationUri);
    return [...functions].find(([, fn]) => fn.logicalId === functionId)![0];
  };

  const apiRoutes = ROUTES.filter((route) => route.endpoint !== 'function-url');

  it('are exactly the route keys of lib/route-table.ts plus $default, but those served at a function URL', () => {
    const expected = [...apiRoutes.map(routeKey), DEFAULT_ROUTE_KEY].sort();
    expect(routes.map((route) => route.RouteKey).sort()).toEqual(expected);
  });

  it("serves a function-url route (MX's webhooks) at its function's URL, which checks its caller itself", () => {
    const served = ROUTES.filter((route) => route.endpoint === 'function-url');
    expect(served.map(routeKey)).toEqual(['POST /mx/webhooks']);
    const urls = resourcesOfType(template, 'AWS::Lambda::Url').map(([, url]) => url.Properties);
    expect(urls).toHaveLength(1);
    expect(urls[0]).toMatchObject({ AuthType: 'NONE' });
    expect(referencedId(urls[0]!.TargetFunctionArn)).toBe(functions.get('mx-events')!.logicalId);
    // MX is given the URL and the route's path.
    const [output] = Object.values(template.findOutputs('MxWebhooksUrl')) as [{ Value: { 'Fn::Join': [string, unknown[]] } }];
    expect(output.Value['Fn::Join'][1]).toEqual([{ 'Fn::GetAtt': [expect.any(String), 'FunctionUrl'] }, 'mx/webhooks']);
  });

  it.each(ENVIRONMENT_NAMES)(
    "bounds mx-events' public function URL by its reservation in %s (10 requests a second each)",
    (env) => {
      const reserved = functionsByName(synthesized(env).template, env).get('mx-events')!.properties.ReservedConcurrentExecutions;
      expect(reserved).toBe(ENVIRONMENTS[env].reservedConcurrency['mx-events']);
      expect(reserved).toBeGreaterThan(0);
    },
  );

  it('each invoke the function lib/route-table.ts names', () => {
    const expected = Object.fromEntries([
      ...apiRoutes.map((r) => [routeKey(r), r.fn]),
      [DEFAULT_ROUTE_KEY, DEFAULT_ROUTE_FUNCTION],
    ]);
    expect(Object.fromEntries(routes.map((route) => [route.RouteKey, targetOf(route)]))).toEqual(expected);
  });

  it('may each invoke their function through their own path only ($default: the fallback, from anywhere in the API)', () => {
    const permissions = resourcesOfType(template, 'AWS::Lambda::Permission')
      .map(([, p]) => p.Properties)
      .filter((p) => p.Principal === 'apigateway.amazonaws.com');
    expect(permissions).toHaveLength(routes.length);
    const fallbackId = functions.get(DEFAULT_ROUTE_FUNCTION)!.logicalId;
    for (const permission of permissions) {
      expect(permission.Principal).toBe('apigateway.amazonaws.com');
      const apiWide = JSON.stringify(permission.SourceArn).endsWith('"/*/*"]]}');
      expect(apiWide).toBe(referencedId(permission.FunctionName) === fallbackId);
    }
  });
});
