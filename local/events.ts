/**
 * The events and context API Gateway and Lambda hand a function, built the
 * way a deployed REST API stage builds them: for the local gateway
 * (local/gateway.ts), the sample events (scripts/events), `npm run invoke`
 * and tests that invoke handlers directly. Builders only: no server here.
 */
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent, APIGatewayTokenAuthorizerEvent, Context } from 'aws-lambda';
import { FUNCTION_SPECS } from '../lib/function-specs';
import type { FunctionName, Route } from '../lambdas/contract/routes';
import { acceptAuthorizerResult } from './authorizer-result';

/** Where an API stage lives: the parts of its execute-api ARNs and of its requests' context. */
export interface ApiStage {
  readonly stage: string;
  readonly region: string;
  readonly accountId: string;
  readonly apiId: string;
}

/** The local stack's stage (and the sample events' under events/). */
export const LOCAL_API_STAGE: ApiStage = { stage: 'local', region: 'local', accountId: '000000000000', apiId: 'wristband' };

/** `arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}{path}`, as API Gateway hands it to a TOKEN authorizer. */
export function methodArnOf(api: ApiStage, method: string, path: string): string {
  return `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${api.stage}/${method}${path}`;
}

/** The event API Gateway sends a TOKEN authorizer: the identity source's value (the whole header) and the method ARN. */
export function tokenAuthorizerEvent(authorizationToken: string, methodArn: string): APIGatewayTokenAuthorizerEvent {
  return { type: 'TOKEN', authorizationToken, methodArn };
}

/** `requestContext.authorizer` as handlers get it (before `integrationLatency`): string values only. */
export type HandlerAuthorizerContext = Record<string, string>;

/**
 * What the handlers get for an authorizer result: its context, every value
 * a string, and its principal. Throws for a result API Gateway would refuse
 * (local/authorizer-result.ts).
 */
export function authorizerContextOf(result: APIGatewayAuthorizerResult): HandlerAuthorizerContext {
  const accepted = acceptAuthorizerResult(result);
  if ('problem' in accepted) throw new Error(`API Gateway would refuse this authorizer result: ${accepted.problem}`);
  return { ...accepted.context, principalId: accepted.principalId };
}

/** One request as the gateway has read it, with the route it matched. */
export interface ProxyRequest {
  readonly route: Route;
  /** The raw request path (`/api/users/abc/role`). */
  readonly path: string;
  /** Decoded path parameters. */
  readonly pathParameters: Record<string, string>;
  /** Header name/value pairs in arrival order, names as sent. */
  readonly headers: readonly (readonly [string, string])[];
  /** Query parameters in order, repeats included. */
  readonly query: readonly (readonly [string, string])[];
  readonly body: string | null;
  readonly requestId: string;
  readonly requestTimeEpoch: number;
  readonly sourceIp: string;
  readonly userAgent: string | null;
  /** `HTTP/1.1` */
  readonly protocol: string;
  /** The authorizer's context, for a protected route. */
  readonly authorizer: HandlerAuthorizerContext | undefined;
}

/** The `APIGatewayProxyEvent` a REST API stage sends a Lambda proxy integration for `request`. */
export function proxyEvent(api: ApiStage, request: ProxyRequest): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of request.headers) {
    headers[name] = value; // API Gateway keeps the last value in `headers`
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of request.query) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const hasQuery = Object.keys(query).length > 0;
  const { route, path, pathParameters, authorizer } = request;
  return {
    resource: route.path,
    path,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : null,
    stageVariables: null,
    body: request.body,
    isBase64Encoded: false,
    requestContext: {
      accountId: api.accountId,
      apiId: api.apiId,
      authorizer: authorizer ? { ...authorizer, integrationLatency: 0 } : null,
      protocol: request.protocol,
      httpMethod: route.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.sourceIp,
        user: null,
        userAgent: request.userAgent,
        userArn: null,
      },
      path: `/${api.stage}${path}`,
      stage: api.stage,
      requestId: request.requestId,
      requestTimeEpoch: request.requestTimeEpoch,
      resourceId: route.handler,
      resourcePath: route.path,
    },
  };
}

/** Enough of a Lambda context for handlers and Powertools. */
export function lambdaContext(functionName: string, awsRequestId: string): Context {
  // The function's configured timeout, as Lambda counts it: handlers plan their deadline from it.
  const deadline = Date.now() + (FUNCTION_SPECS[functionName as FunctionName]?.timeoutSeconds ?? 30) * 1000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: `wristband-local-${functionName}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:wristband-local-${functionName}`,
    memoryLimitInMB: String(FUNCTION_SPECS[functionName as FunctionName]?.memoryMb ?? 256),
    awsRequestId,
    logGroupName: `/aws/lambda/wristband-local-${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
