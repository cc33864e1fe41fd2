import type { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { type FunctionUrl, FunctionUrlAuthType, type IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ACCESS_LOG_FIELDS } from '../access-log.ts';
import type { HttpFunctionName } from '../../lib/http/route.ts';
import { ROUTES } from '../../lib/route-table.ts';

/** Serves `$default` (lib/http/fallback-route.ts): problem+json 404/405 instead of API Gateway's own answers. */
export const DEFAULT_ROUTE_FUNCTION: HttpFunctionName = 'api-fallback';

/** One JSON line per request, with the fields the local gateway writes too (infra/access-log.ts). */
const ACCESS_LOG_FORMAT = AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS));

export interface RelayHttpApiProps {
  apiName: string;
  handlers: Readonly<Record<HttpFunctionName, IFunction>>;
  /** The limits of every route that has none of its own. */
  throttle: ThrottleSettings;
  /** Routes with limits of their own, by route key (`POST /users/{user_id}/members/{member_guid}/refresh`). */
  routeThrottles?: Readonly<Record<string, ThrottleSettings>>;
  logRetention: RetentionDays;
  /** The stack's key, where it has one: the access log group is encrypted under it. */
  logsKey?: IKey;
  removalPolicy: RemovalPolicy;
}

/**
 * The HttpApi: exactly the routes of lib/route-table.ts plus `$default`, but those served at their function's URL (its
 * own origin: no API key, no gateway; the function checks the caller). There is no gateway authorizer on purpose:
 * HTTP APIs cannot shape an authorizer's 401 as problem+json, so every function authenticates the API key itself.
 */
export class RelayHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  /** The function URLs of `endpoint: 'function-url'` routes, by function; limited by the function's reservation. */
  readonly functionUrls: Partial<Record<HttpFunctionName, FunctionUrl>>;

  constructor(scope: Construct, id: string, props: RelayHttpApiProps) {
    super(scope, id);
    const integrations = new Map<HttpFunctionName, HttpLambdaIntegration>();
    const integrationFor = (name: HttpFunctionName): HttpLambdaIntegration => {
      let integration = integrations.get(name);
      if (!integration) {
        integration = new HttpLambdaIntegration(`${name}-integration`, props.handlers[name]);
        integrations.set(name, integration);
      }
      return integration;
    };

    this.api = new HttpApi(this, 'Api', {
      apiName: props.apiName,
      description: 'nexus-relay: sessions, refresh tracking, signed webhooks and reads in front of MX Nexus',
      createDefaultStage: false,
      defaultIntegration: integrationFor(DEFAULT_ROUTE_FUNCTION),
    });
    const apiRoutes = ROUTES.filter((route) => route.endpoint !== 'function-url');
    const routes = apiRoutes.flatMap((route) =>
      this.api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration: integrationFor(route.fn) }),
    );
    this.functionUrls = {};
    for (const route of ROUTES.filter((r) => r.endpoint === 'function-url')) {
      this.functionUrls[route.fn] ??= props.handlers[route.fn].addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
    }

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      logGroupName: `/aws/apigateway/${props.apiName}/access`,
      retention: props.logRetention,
      encryptionKey: props.logsKey,
      removalPolicy: props.removalPolicy,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: { destination: new LogGroupLogDestination(accessLogs), format: ACCESS_LOG_FORMAT },
    });
    const routeThrottles = Object.entries(props.routeThrottles ?? {});
    if (routeThrottles.length > 0) {
      const keys = new Set(apiRoutes.map((route) => `${route.method} ${route.path}`));
      const unknown = routeThrottles.map(([key]) => key).filter((key) => !keys.has(key));
      if (unknown.length > 0) throw new Error(`Throttles for routes that do not exist: ${unknown.join(', ')}`);
      // The HttpStage construct has no route settings: set on its CloudFormation resource, once the routes exist.
      const stage = this.stage.node.defaultChild as CfnStage;
      stage.routeSettings = Object.fromEntries(
        routeThrottles.map(([key, { rateLimit, burstLimit }]) => [
          key,
          { ThrottlingRateLimit: rateLimit, ThrottlingBurstLimit: burstLimit },
        ]),
      );
      for (const route of routes) stage.node.addDependency(route);
    }
  }
}
