/**
 * A local stand-in for the API Gateway REST API the stack deploys: routes
 * from the same route table, the same TOKEN authorizer invoked with a real
 * `APIGatewayTokenAuthorizerEvent`, its IAM policy evaluated against the
 * method ARN and cached per token for the configured TTL, handlers invoked
 * with real `APIGatewayProxyEvent`s, and the same gateway responses.
 *
 * Never more permissive than a deployed stage: AWS's limits and bare
 * answers (local/aws-limits.ts), its checks of the authorizer's answer
 * (local/authorizer-result.ts), its trailing-slash routing and preflights
 * (local/routing.ts). What is still not emulated is listed in the README
 * ("The local stack").
 * The WAF rate rule is emulated by local/rate-limit.ts when AUTH_RATE_LIMIT is set.
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
import { BEARER_HEADER_PATTERN } from '../lambdas/contract/bearer';
import { errorBody } from '../lambdas/contract/errors';
import { gatewayResponse, type GatewayResponseType } from '../lambdas/contract/gateway-responses';
import { CORS_HEADERS, rateLimitedHeaders } from '../lambdas/edge/http';
import { matchPath, ROUTES, type FunctionName, type Route } from '../lambdas/contract/routes';
import { acceptAuthorizerResult } from './authorizer-result';
import { lambdaContext, LOCAL_API_STAGE, methodArnOf, proxyEvent, tokenAuthorizerEvent, type ApiStage, type HandlerAuthorizerContext } from './events';
import { BARE_ANSWERS, headerValueBytes, MAX_HEADER_VALUE_BYTES, MAX_LAMBDA_PAYLOAD_BYTES, MAX_REQUEST_BODY_BYTES, payloadBytes, type BareAnswer } from './aws-limits';
import { policyAllows } from './iam-policy';
import type { LocalRateLimiter } from './rate-limit';
import { resourcePaths, routingPath } from './routing';

export type ProxyHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
export type TokenAuthorizer = (event: APIGatewayTokenAuthorizerEvent, context: Context) => Promise<APIGatewayAuthorizerResult>;

export interface GatewayOptions {
  /** The function behind each route, by the route's `handler` name. */
  readonly handlers: Readonly<Record<string, ProxyHandler>>;
  /** The routes the API has; default ROUTES (the demo). */
  readonly routes?: readonly Route[];
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
  /** Function timeouts in ms by function name, instead of lib/function-specs.ts (tests of the timeout answers). */
  readonly timeoutsMs?: Readonly<Partial<Record<string, number>>>;
}

export interface AccessLogEntry {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly ms: number;
  readonly principalId?: string;
  /** The gateway response type when the gateway answered by itself, as the deployed access log's `errorType`. */
  readonly errorType?: string;
}

const IDENTITY_VALIDATION = new RegExp(BEARER_HEADER_PATTERN);

/** An app function's timeout when FUNCTION_SPECS does not name it (the construct's ENTRY_FUNCTION_DEFAULTS). */
const APP_FUNCTION_TIMEOUT_SECONDS = 5;

interface Reply {
  status: number;
  headers: Record<string, string>;
  multiValueHeaders?: Record<string, (string | number | boolean)[]>;
  body: Buffer;
  errorType?: GatewayResponseType;
}

interface CachedDecision {
  readonly result: AcceptedResult;
  readonly until: number;
}

type AcceptedResult = Exclude<ReturnType<typeof acceptAuthorizerResult>, { problem: string }>;

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
      .catch((): Reply => bareReply(BARE_ANSWERS.functionFailed))
      .then((reply) => {
        res.writeHead(reply.status, flattenHeaders(reply));
        res.end(reply.body);
        this.options.onRequest?.({
          requestId,
          method: req.method ?? '',
          path: req.url ?? '',
          status: reply.status,
          ms: this.now() - started,
          ...(reply.errorType ? { errorType: reply.errorType } : {}),
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
    // API Gateway refuses oversized headers before routing or any authorizer.
    if (headerValueBytes(req.rawHeaders) > MAX_HEADER_VALUE_BYTES) {
      req.resume();
      return bareReply(BARE_ANSWERS.headersTooLarge);
    }
    // Routes match on the raw path, segment by segment; parameters are decoded afterwards, so `%2F` never splits a segment.
    const path = url.pathname;
    const body = await readBody(req);
    if (body === undefined) return bareReply(BARE_ANSWERS.bodyTooLarge);

    if (method === 'OPTIONS') {
      // The stack's CORS preflight: a mock integration on every resource, parents included.
      return this.resources.some((pattern) => matchPath(pattern, routingPath(path)) !== undefined) ? { status: 204, headers: { ...CORS_HEADERS }, body: Buffer.alloc(0) } : this.gatewayError('MISSING_AUTHENTICATION_TOKEN');
    }
    const match = this.matchRoute(method, routingPath(path));
    if (!match) return this.gatewayError('MISSING_AUTHENTICATION_TOKEN');
    const { route } = match;
    // WAF answers before API Gateway does anything else: before the authorizer and the handler.
    const limiter = this.options.rateLimiter;
    if (limiter && !limiter.admit(req.socket.remoteAddress ?? '', route)) {
      return { status: 429, headers: { 'Content-Type': 'application/json', ...rateLimitedHeaders(limiter.windowSeconds) }, body: Buffer.from(JSON.stringify(errorBody('too_many_requests'))) };
    }
    const pathParameters = decodeParameters(match.pathParameters);
    if (!pathParameters) return this.gatewayError('MISSING_AUTHENTICATION_TOKEN');
    // The path as sent, trailing slash included: whether AWS keeps it is undocumented, and keeping it is the stricter test of the policy.
    const methodArn = methodArnOf(this.api, method, path);
    // One value for the authorizer and the handler: the last, as `headers` in the proxy event has it.
    const authorization = lastHeaderValue(req, 'authorization');

    let authorizerContext: HandlerAuthorizerContext | undefined;
    if (route.access !== 'public') {
      const decision = await this.authorize(authorization, methodArn);
      if (typeof decision === 'string') return this.gatewayError(decision);
      authorizerContext = decision;
    }

    const event = this.proxyEvent(req, url, route, path, pathParameters, body, requestId, authorizerContext);
    const name = route.handler as FunctionName;
    const handler = this.options.handlers[name];
    if (!handler) return bareReply(BARE_ANSWERS.functionFailed);
    if (payloadBytes(event) > MAX_LAMBDA_PAYLOAD_BYTES) return bareReply(BARE_ANSWERS.invocationRejected);
    // A throw, a timeout (Lambda's, long before the 29 s integration timeout) or a malformed or oversized result: 502.
    let result: APIGatewayProxyResult | 'timeout';
    try {
      result = await withTimeout(Promise.resolve().then(() => handler(event, lambdaContext(name, requestId))), this.timeoutMs(name));
    } catch {
      return bareReply(BARE_ANSWERS.functionFailed);
    }
    if (result === 'timeout' || payloadBytes(result) > MAX_LAMBDA_PAYLOAD_BYTES) return bareReply(BARE_ANSWERS.functionFailed);
    return fromProxyResult(result);
  }

  private timeoutMs(name: FunctionName): number {
    return this.options.timeoutsMs?.[name] ?? (FUNCTION_SPECS[name]?.timeoutSeconds ?? APP_FUNCTION_TIMEOUT_SECONDS) * 1000;
  }

  private get routes(): readonly Route[] {
    return this.options.routes ?? (ROUTES as readonly Route[]);
  }

  private resourceList: readonly string[] | undefined;
  private get resources(): readonly string[] {
    this.resourceList ??= resourcePaths(this.routes);
    return this.resourceList;
  }

  private matchRoute(method: string, path: string): { route: Route; pathParameters: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const params = matchPath(route.path, path);
      if (params) return { route, pathParameters: params };
    }
    return undefined;
  }

  /** The TOKEN authorizer as API Gateway runs it. Returns the context to pass on, or the gateway response type. */
  private async authorize(
    header: string | undefined,
    methodArn: string,
  ): Promise<HandlerAuthorizerContext | GatewayResponseType> {
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
      let answer: unknown;
      try {
        answer = await withTimeout(
          Promise.resolve().then(() => this.options.authorizer(event, lambdaContext('authorizer', randomUUID()))),
          this.timeoutMs('authorizer'),
        );
      } catch (error) {
        // Exactly "Unauthorized" (an Error's message, or a thrown string) is the 401; any other failure is a function error.
        return isUnauthorized(error) ? 'UNAUTHORIZED' : 'AUTHORIZER_CONFIGURATION_ERROR';
      }
      // A timed-out authorizer is a function error too.
      if (answer === 'timeout') return 'AUTHORIZER_CONFIGURATION_ERROR';
      const accepted = acceptAuthorizerResult(answer);
      if ('problem' in accepted) return 'AUTHORIZER_CONFIGURATION_ERROR';
      result = accepted;
      if (ttlMs > 0) this.cache.set(header, { result, until: this.now() + ttlMs });
    }
    if (!policyAllows(result.policyDocument, 'execute-api:Invoke', methodArn)) return 'ACCESS_DENIED';
    return { ...result.context, principalId: result.principalId };
  }

  private proxyEvent(
    req: IncomingMessage,
    url: URL,
    route: Route,
    path: string,
    pathParameters: Record<string, string>,
    body: Buffer,
    requestId: string,
    authorizer: HandlerAuthorizerContext | undefined,
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
      // (which the handlers refuse; see parseJsonBody in lambdas/edge/http.ts).
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
    return { status: spec.status, headers, body: Buffer.from(JSON.stringify(errorBody(spec.code))), errorType: type };
  }
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

/** The last value of a header as sent (Node keeps only the first Authorization in `req.headers`). */
function lastHeaderValue(req: IncomingMessage, name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if ((req.rawHeaders[i] as string).toLowerCase() === name) value = req.rawHeaders[i + 1];
  return value;
}

function isUnauthorized(error: unknown): boolean {
  return error === 'Unauthorized' || (error instanceof Error && error.message === 'Unauthorized');
}

/** An answer API Gateway sends by itself and no gateway response changes: its generic JSON message, no CORS headers. */
function bareReply(answer: BareAnswer): Reply {
  return { status: answer.status, headers: { 'Content-Type': 'application/json' }, body: Buffer.from(JSON.stringify({ message: answer.message })) };
}

/** The body, or undefined when it exceeds API Gateway's cap. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BODY_BYTES) tooLarge = true;
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
  // API Gateway's answer to a malformed Lambda proxy response.
  if (!result || typeof result.statusCode !== 'number') return bareReply(BARE_ANSWERS.functionFailed);
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
