/**
 * A local stand-in for the API Gateway REST API the stack deploys: routes
 * from the same route table, the same TOKEN authorizer invoked with a real
 * `APIGatewayTokenAuthorizerEvent`, its IAM policy evaluated against the
 * method ARN and cached per token for the configured TTL, handlers invoked
 * with real `APIGatewayProxyEvent`s, and the same gateway responses.
 *
 * The WAF rate rule is emulated by local/rate-limit.ts when AUTH_RATE_LIMIT is set.
 * Not emulated: stage throttling (429) and API Gateway's 10 MB request cap
 * beyond answering 413; both are documented in the README.
 */
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayTokenAuthorizerEvent,
  Context,
} from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FUNCTION_SPECS } from '../lib/function-specs';
import { BEARER_HEADER_PATTERN } from '../lambdas/authorizer/bearer';
import { errorBody } from '../lambdas/shared/errors';
import { gatewayResponse, type GatewayResponseType } from '../lambdas/shared/gateway-responses';
import { CORS_HEADERS, rateLimitedHeaders } from '../lambdas/shared/http';
import { matchRoute, ROUTES, type FunctionName, type Route } from '../lambdas/shared/routes';
import { policyAllows } from './iam-policy';
import type { LocalRateLimiter } from './rate-limit';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
export type TokenAuthorizer = (event: APIGatewayTokenAuthorizerEvent, context: Context) => Promise<APIGatewayAuthorizerResult>;

export interface GatewayOptions {
  readonly handlers: Readonly<Record<string, ProxyHandler>>;
  readonly authorizer: TokenAuthorizer;
  readonly authorizerCacheTtlSeconds: number;
  readonly stage?: string;
  readonly region?: string;
  readonly accountId?: string;
  readonly apiId?: string;
  readonly now?: () => number;
  /** The WAF rate rule's stand-in; none: no per-client limit. */
  readonly rateLimiter?: LocalRateLimiter;
  /** Called once per request, for the access log. */
  readonly onRequest?: (entry: AccessLogEntry) => void;
}

export interface AccessLogEntry {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  readonly principalId?: string;
}

/** API Gateway's own cap on a request payload. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
const IDENTITY_VALIDATION = new RegExp(BEARER_HEADER_PATTERN);

interface Reply {
  status: number;
  headers: Record<string, string>;
  multiValueHeaders?: Record<string, (string | number | boolean)[]>;
  body: Buffer;
}

interface CachedDecision {
  readonly result: APIGatewayAuthorizerResult;
  readonly until: number;
}

export class LocalGateway {
  /** Counters for diagnostics and tests: how often the authorizer really ran, and how often its cached decision served. */
  readonly stats = { authorizerInvocations: 0, authorizerCacheHits: 0 };
  private readonly cache = new Map<string, CachedDecision>();
  private readonly api: ApiStage;
  private readonly now: () => number;

  constructor(private readonly options: GatewayOptions) {
    this.api = {
      stage: options.stage ?? LOCAL_API_STAGE.stage,
      region: options.region ?? LOCAL_API_STAGE.region,
      accountId: options.accountId ?? LOCAL_API_STAGE.accountId,
      apiId: options.apiId ?? LOCAL_API_STAGE.apiId,
    };
    this.now = options.now ?? Date.now;
  }

  /** Node's request listener. */
  listener = (req: IncomingMessage, res: ServerResponse): void => {
    const started = this.now();
    const requestId = randomUUID();
    void this.handle(req, requestId)
      .catch((): Reply => this.gatewayError('DEFAULT_5XX'))
      .then((reply) => {
        res.writeHead(reply.status, flattenHeaders(reply));
        res.end(reply.body);
        this.options.onRequest?.({
          requestId,
          method: req.method ?? '',
          path: req.url ?? '',
          status: reply.status,
          ms: this.now() - started,
        });
      });
  };

  /** Forgets cached authorizer decisions (tests; a real stage flushes with "Flush authorizer cache"). */
  flushAuthorizerCache(): void {
    this.cache.clear();
  }

  private async handle(req: IncomingMessage, requestId: string): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = (req.method ?? 'GET').toUpperCase();
    // Routes match on the raw path, segment by segment; parameters are decoded afterwards, so `%2F` never splits a segment.
    const path = url.pathname;
    const body = await readBody(req);
    if (body === undefined) return this.gatewayError('REQUEST_TOO_LARGE');

    if (method === 'OPTIONS') {
      // The stack's CORS preflight: a mock integration on every resource.
      const known = ROUTES.some((route) => matchRoute(route.method, path)?.route === route);
      return known ? { status: 204, headers: { ...CORS_HEADERS }, body: Buffer.alloc(0) } : this.gatewayError('MISSING_AUTHENTICATION_TOKEN');
    }
    const match = matchRoute(method, path);
    if (!match) return this.gatewayError('MISSING_AUTHENTICATION_TOKEN');
    const { route } = match;
    // WAF answers before API Gateway does anything else: before the authorizer and the handler.
    const limiter = this.options.rateLimiter;
    if (limiter && !limiter.admit(req.socket.remoteAddress ?? '', route)) {
      return { status: 429, headers: { 'Content-Type': 'application/json', ...rateLimitedHeaders(limiter.windowSeconds) }, body: Buffer.from(JSON.stringify(errorBody('too_many_requests'))) };
    }
    const pathParameters = decodeParameters(match.pathParameters);
    if (!pathParameters) return this.gatewayError('MISSING_AUTHENTICATION_TOKEN');
    const methodArn = methodArnOf(this.api, method, path);

    let authorizerContext: AuthorizerContext | undefined;
    if (route.access !== 'public') {
      const decision = await this.authorize(headerValue(req, 'authorization'), methodArn);
      if (typeof decision === 'string') return this.gatewayError(decision);
      authorizerContext = decision;
    }

    const event = this.proxyEvent(req, url, route, path, pathParameters, body, requestId, authorizerContext);
    const name = route.handler as FunctionName;
    const handler = this.options.handlers[name];
    if (!handler) return this.gatewayError('DEFAULT_5XX');
    const result = await withTimeout(handler(event, lambdaContext(name, requestId)), FUNCTION_SPECS[name].timeoutSeconds * 1000);
    if (result === 'timeout') return this.gatewayError('INTEGRATION_TIMEOUT');
    return fromProxyResult(result);
  }

  /** The TOKEN authorizer as API Gateway runs it. Returns the context to pass on, or the gateway response type. */
  private async authorize(
    header: string | undefined,
    methodArn: string,
  ): Promise<AuthorizerContext | GatewayResponseType> {
    // API Gateway checks the identity source and its validation expression before invoking anything.
    if (header === undefined || !IDENTITY_VALIDATION.test(header)) return 'UNAUTHORIZED';
    const ttlMs = this.options.authorizerCacheTtlSeconds * 1000;
    let cached = this.cache.get(header);
    if (cached && cached.until <= this.now()) {
      this.cache.delete(header);
      cached = undefined;
    }
    let result = cached?.result;
    if (result) this.stats.authorizerCacheHits++;
    else {
      this.stats.authorizerInvocations++;
      const event = tokenAuthorizerEvent(header, methodArn);
      try {
        // Lambda stops an authorizer at its timeout, and API Gateway answers that like any other authorizer failure.
        const answer = await withTimeout(this.options.authorizer(event, lambdaContext('authorizer', randomUUID())), FUNCTION_SPECS.authorizer.timeoutSeconds * 1000);
        if (answer === 'timeout') return 'AUTHORIZER_FAILURE';
        result = answer;
      } catch (error) {
        return error instanceof Error && error.message === 'Unauthorized' ? 'UNAUTHORIZED' : 'AUTHORIZER_FAILURE';
      }
      if (!result || typeof result.principalId !== 'string' || !result.policyDocument) return 'AUTHORIZER_CONFIGURATION_ERROR';
      if (ttlMs > 0) this.cache.set(header, { result, until: this.now() + ttlMs });
    }
    if (!policyAllows(result.policyDocument, 'execute-api:Invoke', methodArn)) return 'ACCESS_DENIED';
    return authorizerContextOf(result);
  }

  private proxyEvent(
    req: IncomingMessage,
    url: URL,
    route: Route,
    path: string,
    pathParameters: Record<string, string>,
    body: Buffer,
    requestId: string,
    authorizer: AuthorizerContext | undefined,
  ): APIGatewayProxyEvent {
    const headers: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
    return proxyEvent(this.api, {
      route,
      path,
      pathParameters,
      headers,
      query: [...url.searchParams],
      // As API Gateway without binary media types: the body as UTF-8 text, bytes that are not UTF-8 replaced by U+FFFD
      // (which the handlers refuse; see parseJsonBody in lambdas/shared/http.ts).
      body: body.length > 0 ? body.toString('utf8') : null,
      requestId,
      requestTimeEpoch: this.now(),
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      userAgent: headerValue(req, 'user-agent') ?? null,
      protocol: `HTTP/${req.httpVersion}`,
      authorizer,
    });
  }

  private gatewayError(type: GatewayResponseType): Reply {
    const spec = gatewayResponse(type);
    const headers: Record<string, string> = { 'Content-Type': 'application/json', ...CORS_HEADERS };
    if (spec.retryAfterSeconds !== undefined) headers['Retry-After'] = String(spec.retryAfterSeconds);
    if (spec.wwwAuthenticate !== undefined) headers['WWW-Authenticate'] = spec.wwwAuthenticate;
    return { status: spec.status, headers, body: Buffer.from(JSON.stringify(errorBody(spec.code))) };
  }
}

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

export type AuthorizerContext = Record<string, string | number | boolean>;

/** What the handlers get as `requestContext.authorizer` (before `integrationLatency`): the policy's context and principal. */
export function authorizerContextOf(result: APIGatewayAuthorizerResult): AuthorizerContext {
  return { ...(result.context ?? {}), principalId: result.principalId };
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
  readonly authorizer: AuthorizerContext | undefined;
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

function decodeParameters(raw: Record<string, string>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  try {
    for (const [name, value] of Object.entries(raw)) out[name] = decodeURIComponent(value);
  } catch {
    return undefined;
  }
  return out;
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

/** The body, or undefined when it exceeds API Gateway's cap. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function fromProxyResult(result: APIGatewayProxyResult): Reply {
  if (!result || typeof result.statusCode !== 'number') {
    // API Gateway's answer to a malformed Lambda proxy response.
    return { status: 502, headers: { 'Content-Type': 'application/json', ...CORS_HEADERS }, body: Buffer.from(JSON.stringify(errorBody('internal_error'))) };
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  const body = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : Buffer.from(result.body ?? '', 'utf8');
  return { status: result.statusCode, headers, ...(result.multiValueHeaders ? { multiValueHeaders: result.multiValueHeaders } : {}), body };
}

function flattenHeaders(reply: Reply): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { ...reply.headers };
  for (const [name, values] of Object.entries(reply.multiValueHeaders ?? {})) out[name] = values.map(String);
  return out;
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
