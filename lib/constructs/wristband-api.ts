/**
 * The REST API: one resource and method per ROUTES entry with a Lambda
 * proxy integration, the TOKEN authorizer on every non-public route, the
 * contract's error bodies for everything API Gateway answers by itself,
 * CORS, stage throttling, JSON access logs, X-Ray tracing and per-method
 * metrics.
 *
 * TOKEN rather than REQUEST authorizer: the decision depends on the bearer
 * token alone, so API Gateway can cache it per token and refuse a missing
 * or malformed header itself (the validation expression) without invoking
 * the function. The policy the function returns covers every route the
 * token's role may call, which is what makes the per-token cache safe.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  IdentitySource,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  ResponseType,
  RestApi,
  TokenAuthorizer,
  type GatewayResponse,
  type Method,
} from 'aws-cdk-lib/aws-apigateway';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { BEARER_HEADER_PATTERN } from '../../lambdas/contract/bearer';
import { errorBody } from '../../lambdas/contract/errors';
import { GATEWAY_RESPONSES, type GatewayResponseSpec } from '../../lambdas/contract/gateway-responses';
import { corsHeaders, EXPOSED_HEADERS } from '../../lambdas/contract/cors';
import type { Access, HttpMethod } from '../../lambdas/contract/routes';
import type { WristbandConfig } from '../config';
import { pascalCase, removalPolicyOf } from './wristband-function';
import { WristbandWaf } from './wristband-waf';

export const STAGE_NAME = 'prod';
export const JWKS_PATH = '/.well-known/jwks.json';

export interface WristbandApiProps {
  readonly config: WristbandConfig;
  readonly authorizerFunction: IFunction;
  /**
   * A REST API the app already owns: the routes, the authorizer and the
   * gateway responses are added to it; its stage, logging and CORS stay the
   * app's. Default: a new API with the stage below.
   */
  readonly api?: RestApi;
}

/** Header name -> the single-quoted literal API Gateway mapping expressions want. */
function literalHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, `'${value}'`]));
}

/** A gateway response as API Gateway takes it: status (unless kept), CORS, Retry-After and WWW-Authenticate headers, the contract's body. */
export function gatewayResponseOptions(spec: GatewayResponseSpec, corsOrigin?: string) {
  // Gateway response templates substitute `$context...` variables; the contract's bodies have no `$`, so they pass through literally (tested).
  const body = JSON.stringify(errorBody(spec.code));
  const headers: Record<string, string> = { ...corsHeaders(corsOrigin) };
  if (spec.retryAfterSeconds !== undefined) headers['Retry-After'] = String(spec.retryAfterSeconds);
  if (spec.wwwAuthenticate !== undefined) headers['WWW-Authenticate'] = spec.wwwAuthenticate;
  return {
    type: ResponseType.of(spec.type),
    ...(spec.keepStatus ? {} : { statusCode: String(spec.status) }),
    responseHeaders: literalHeaders(headers),
    templates: { 'application/json': body },
  };
}

/** Access log lines as JSON: who called what, what came back, and why the gateway refused (never a header or body). */
export const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  // The dimension of the metrics the stack derives from these lines (GATEWAY_METRICS): unique per stack.
  apiId: AccessLogField.contextApiId(),
  requestId: AccessLogField.contextRequestId(),
  extendedRequestId: AccessLogField.contextExtendedRequestId(),
  requestTime: AccessLogField.contextRequestTime(),
  ip: AccessLogField.contextIdentitySourceIp(),
  userAgent: AccessLogField.contextIdentityUserAgent(),
  httpMethod: AccessLogField.contextHttpMethod(),
  resourcePath: AccessLogField.contextResourcePath(),
  path: AccessLogField.contextPath(),
  protocol: AccessLogField.contextProtocol(),
  status: AccessLogField.contextStatus(),
  responseLength: AccessLogField.contextResponseLength(),
  responseLatency: AccessLogField.contextResponseLatency(),
  integrationLatency: AccessLogField.contextIntegrationLatency(),
  integrationStatus: AccessLogField.contextIntegrationStatus(),
  principalId: AccessLogField.contextAuthorizerPrincipalId(),
  authorizerStatus: AccessLogField.contextAuthorizerStatus(),
  authorizerLatency: AccessLogField.contextAuthorizerLatency(),
  authorizerError: AccessLogField.contextAuthorizerError(),
  errorType: AccessLogField.contextErrorResponseType(),
  errorMessage: AccessLogField.contextErrorMessage(),
};

export class WristbandApi extends Construct {
  readonly api: RestApi;
  readonly authorizer: TokenAuthorizer;
  /** The stage's access logs (the API this construct created; with an app's own API, create-and-attach is the app's call). */
  readonly accessLogs: LogGroup;
  readonly executionLogs: LogGroup | undefined;
  /** Method per route, keyed `METHOD path` as in ROUTES. */
  readonly methods: ReadonlyMap<string, Method>;
  /** Whether the REST API is the app's own (the `api` prop). */
  readonly attached: boolean;
  readonly gatewayResponses: readonly GatewayResponse[];
  /** The per-client rate limit on the stage; undefined when `authRateLimit` is 0. */
  readonly waf: WristbandWaf | undefined;

  constructor(scope: Construct, id: string, props: WristbandApiProps) {
    super(scope, id);
    const { config } = props;

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: config.logRetentionDays,
      removalPolicy: removalPolicyOf(config),
    });

    const cors = corsHeaders(config.corsOrigin);
    this.attached = props.api !== undefined;
    this.api = props.api ?? new RestApi(this, 'Api', {
      restApiName: Stack.of(this).stackName,
      description: 'wristband: JWT auth API',
      endpointTypes: [EndpointType.REGIONAL],
      // Access logging needs the account-level CloudWatch role; this stack sets it up (and retains it).
      cloudWatchRole: true,
      deployOptions: {
        stageName: STAGE_NAME,
        throttlingRateLimit: config.throttlingRateLimit,
        throttlingBurstLimit: config.throttlingBurstLimit,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
        // Execution logs for errors only (authorizer and integration failures, with their cause); API Gateway redacts
        // Authorization headers in them. Data tracing would record request and response bodies (passwords, tokens): off.
        loggingLevel: MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        // Per-method CloudWatch metrics: the dashboard's latency per route (custom-metric pricing; see docs/operations.md).
        metricsEnabled: true,
        // X-Ray from the edge: one trace per request, through the authorizer and the handler.
        tracingEnabled: true,
      },
      defaultCorsPreflightOptions: {
        allowOrigins: [cors['Access-Control-Allow-Origin']],
        allowHeaders: cors['Access-Control-Allow-Headers'].split(','),
        allowMethods: cors['Access-Control-Allow-Methods'].split(','),
        // Only meaningful on actual responses, but the preflight then carries CORS_HEADERS whole, as the local stack's does.
        exposeHeaders: [...EXPOSED_HEADERS],
      },
    });
    // RestApi adds an unnamed "Endpoint" output; the stack's ApiUrl output is the one to read.
    if (!this.attached) this.api.node.tryRemoveChild('Endpoint');
    // The group API Gateway writes execution logs to, created here so that it gets our retention, not "never expire".
    this.executionLogs = this.attached
      ? undefined
      : new LogGroup(this, 'ExecutionLogs', {
          logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${STAGE_NAME}`,
          retention: config.logRetentionDays,
          removalPolicy: removalPolicyOf(config),
        });

    this.authorizer = new TokenAuthorizer(this, 'Authorizer', {
      handler: props.authorizerFunction,
      identitySource: IdentitySource.header('Authorization'),
      validationRegex: BEARER_HEADER_PATTERN,
      resultsCacheTtl: Duration.seconds(config.settings.authorizerCacheTtlSeconds),
    });

    this.methods = this.methodMap;

    this.gatewayResponses = GATEWAY_RESPONSES.map((spec) =>
      this.api.addGatewayResponse(pascalCase(spec.type.toLowerCase().replace(/_/g, '-')), gatewayResponseOptions(spec, config.corsOrigin)),
    );

    this.waf =
      config.authRateLimit > 0
        ? new WristbandWaf(this, 'Waf', {
            limit: config.authRateLimit,
            windowSeconds: config.authRateLimitWindowSeconds,
            stage: this.api.deploymentStage,
            corsOrigin: config.corsOrigin,
          })
        : undefined;
  }

  private readonly methodMap = new Map<string, Method>();

  /** One method with a Lambda proxy integration; behind the TOKEN authorizer unless public. */
  addRoute(route: { readonly method: HttpMethod; readonly path: string; readonly access: Access }, handler: IFunction): Method {
    const key = `${route.method} ${route.path}`;
    if (this.methodMap.has(key)) throw new Error(`route ${key} exists already`);
    const resource = this.api.root.resourceForPath(route.path);
    const integration = new LambdaIntegration(handler, {
      // The console's test-invoke permission would double the functions' resource policies for no runtime use.
      allowTestInvoke: false,
    });
    const method = resource.addMethod(
      route.method,
      integration,
      route.access === 'public'
        ? { authorizationType: AuthorizationType.NONE }
        : { authorizationType: AuthorizationType.CUSTOM, authorizer: this.authorizer },
    );
    this.methodMap.set(key, method);
    return method;
  }

  /** The stage URL, ending in `/`. */
  get url(): string {
    return this.api.url;
  }

  get jwksUrl(): string {
    return this.api.urlForPath(JWKS_PATH);
  }
}
