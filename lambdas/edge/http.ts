/**
 * The HTTP edge of every handler: reading an API Gateway proxy event
 * defensively (any shape may arrive), and turning results and errors into
 * the contract's responses. Domain code never sees an event.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { decodeAuthorizerContext, type AuthorizerContext } from '../contract/authorizer-context';
import { CORS_ORIGIN_ENV, corsHeaders, type CorsHeaders } from '../contract/cors';
import { isDependencyFailure } from './dynamo';
import { processMfaRequiredRoles, readSetting } from '../contract/config';
import {
  bearerChallengeOf,
  errorBody,
  ForbiddenError,
  InvalidJsonError,
  InvalidTokenError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  TooManyAttemptsError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
  WristbandError,
} from '../contract/errors';
import { logger } from '../telemetry/logger';
import { startRequestLog } from '../telemetry/request-logging';
import { roleConfig, type Role } from '../contract/roles';
import { routeRefusal, signedInWithOtp } from '../contract/routes';
import { LIMITS } from '../contract/settings';
import { tracedHandler } from '../telemetry/tracing';
import { findDuplicateKey } from '../contract/validation';

export { CORS_HEADERS, EXPOSED_HEADERS, rateLimitedHeaders } from '../contract/cors';

let cors: { origin: string | undefined; headers: CorsHeaders } | undefined;

/** This function's CORS headers: the origin the stack configured (CORS_ORIGIN_ENV), `*` when none. */
export function responseCorsHeaders(): CorsHeaders {
  const origin = process.env[CORS_ORIGIN_ENV]?.trim() || undefined;
  if (!cors || cors.origin !== origin) cors = { origin, headers: corsHeaders(origin) };
  return cors.headers;
}

export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode: status, headers: { 'Content-Type': 'application/json; charset=utf-8', ...responseCorsHeaders(), ...headers }, body: JSON.stringify(body) };
}

export function noContent(): APIGatewayProxyResult {
  return { statusCode: 204, headers: { ...responseCorsHeaders() }, body: '' };
}

/** Maps any error to the contract's response. Only our own bugs become a 500. */
export function errorResponse(error: unknown): APIGatewayProxyResult {
  if (!(error instanceof WristbandError) && isDependencyFailure(error)) {
    error = new ServiceUnavailableError('dependency failure', error);
  }
  if (error instanceof WristbandError) {
    const headers: Record<string, string> = {};
    if (error instanceof TooManyAttemptsError || error instanceof ServiceUnavailableError) {
      headers['Retry-After'] = String(error.retryAfterSeconds);
    }
    if (error.status === 401) headers['WWW-Authenticate'] = bearerChallengeOf(error);
    if (error.status >= 500) {
      logger.error('dependency failure', { code: error.code, reason: error.reason, error: describe(error.cause) });
    } else {
      logger.info('request refused', { code: error.code, reason: error.reason });
    }
    const details = error instanceof ValidationError ? error.details : undefined;
    return jsonResponse(error.status, errorBody(error.code, error.message, details), headers);
  }
  logger.error('unexpected error', { error: describe(error) });
  return jsonResponse(500, errorBody('internal_error'));
}

/** Error name and message only: SDK errors can carry request bodies, which may hold secrets. */
function describe(error: unknown): { name: string; message: string } | undefined {
  if (error instanceof Error) return { name: error.name, message: error.message.slice(0, 200) };
  return error === undefined ? undefined : { name: typeof error, message: 'non-error thrown' };
}

/** A request as handlers see it: only what they need, already normalised. */
export interface HttpRequest {
  readonly event: APIGatewayProxyEvent;
  /** Case-insensitive header lookup (first value wins). */
  header(name: string): string | undefined;
  query(name: string): string | undefined;
  pathParameter(name: string): string | undefined;
  /** The parsed JSON body, after the media type and size checks. `undefined` when empty. */
  jsonBody(): unknown;
}

export function toRequest(event: APIGatewayProxyEvent): HttpRequest {
  const safe = (event ?? {}) as Partial<APIGatewayProxyEvent>;
  return {
    event,
    header: (name) => headerOf(safe, name),
    query: (name) => stringField(safe.queryStringParameters, name),
    pathParameter: (name) => stringField(safe.pathParameters, name),
    jsonBody: () => parseJsonBody(safe),
  };
}

function stringField(map: unknown, name: string): string | undefined {
  if (!map || typeof map !== 'object') return undefined;
  if (!Object.hasOwn(map, name)) return undefined;
  const value = (map as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

function headerOf(event: Partial<APIGatewayProxyEvent>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const source of [event.headers, event.multiValueHeaders]) {
    if (!source || typeof source !== 'object') continue;
    for (const [key, value] of Object.entries(source)) {
      if (key.toLowerCase() !== wanted) continue;
      if (typeof value === 'string') return value;
      if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
    }
  }
  return undefined;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseJsonBody(event: Partial<APIGatewayProxyEvent>): unknown {
  const raw = event.body;
  if (raw === null || raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw new InvalidJsonError();
  // Base64 is 4/3 of the bytes it carries: refuse obviously huge bodies before decoding them.
  if (raw.length > LIMITS.maxBodyBytes * 2) throw new PayloadTooLargeError();
  const bytes = event.isBase64Encoded === true ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
  if (bytes.length > LIMITS.maxBodyBytes) throw new PayloadTooLargeError();
  if (!isJsonMediaType(headerOf(event, 'content-type'))) throw new UnsupportedMediaTypeError();
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new InvalidJsonError();
  }
  // Without binary media types API Gateway hands a proxy integration the body as UTF-8 text: bytes that were not
  // UTF-8 can only arrive as U+FFFD, indistinguishable from a literal one. Refuse both, so no garbled input is stored.
  if (event.isBase64Encoded !== true && text.includes('\ufffd')) throw new InvalidJsonError();
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new InvalidJsonError();
  }
  // JSON.parse keeps the last of duplicate members; another parser may keep the first. One body, one meaning.
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) throw new ValidationError([{ field: duplicate, message: 'appears more than once' }]);
  return value;
}

/**
 * `application/json`, case-insensitive, with any parameters, but a
 * `charset` (quoted or not, any case) must be UTF-8: the body is decoded as
 * UTF-8 whatever the header says, so any other charset would be misread.
 */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const [type, ...parameters] = contentType.split(';');
  if (type?.trim().toLowerCase() !== 'application/json') return false;
  for (const parameter of parameters) {
    const eq = parameter.indexOf('=');
    const name = (eq < 0 ? parameter : parameter.slice(0, eq)).trim().toLowerCase();
    if (name !== 'charset') continue;
    let value = eq < 0 ? '' : parameter.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    if (value.toLowerCase() !== 'utf-8') return false;
  }
  return true;
}

/** The verified caller, as the authorizer put it into the request context. */
export interface Caller {
  readonly sub: string;
  readonly role: Role;
  /** How the token's user signed in (RFC 8176 `amr`): `['pwd']`, `['pwd', 'otp']`, or `[]` for an older token. */
  readonly amr: readonly string[];
}

let clockToleranceSeconds: number | undefined;

/**
 * The authorizer's context of a request whose token has not expired since.
 * API Gateway caches an Allow per token for the cache TTL without looking at
 * the token's `exp`, so a cached decision can outlive the token; the `exp`
 * the authorizer put in the context is checked here, and an expired token
 * gets its 401 after all.
 */
export function unexpiredContext(event: APIGatewayProxyEvent, now: number = Date.now()): AuthorizerContext {
  // API Gateway hands every context value over as a string; the one decoder (authorizer-context.ts) reads that shape only.
  const context = decodeAuthorizerContext((event?.requestContext as { authorizer?: unknown } | undefined)?.authorizer);
  // Only reachable when a protected route is wired without the authorizer: refuse, never guess.
  if (!context) throw new UnauthorizedError('no authorizer context');
  clockToleranceSeconds ??= readSetting(process.env, 'clockToleranceSeconds');
  if (now / 1000 > context.exp + clockToleranceSeconds) throw new InvalidTokenError('expired_after_authorizer_cache');
  return context;
}

/** The caller, from the authorizer's context (unexpiredContext). */
export function callerOf(event: APIGatewayProxyEvent, now: number = Date.now()): Caller {
  const context = unexpiredContext(event, now);
  return { sub: context.sub, role: context.role, amr: context.amr ?? [] };
}

/**
 * The caller of an admin route (a role in `userManagerRoles`). The authorizer's policy already keeps other
 * roles out; checking again here costs nothing and keeps a wrongly wired or
 * wrongly cached policy from opening an admin route. Like `callerOf`, it
 * refuses a token whose `exp` has passed behind a cached Allow.
 */
export function adminOf(event: APIGatewayProxyEvent, now: number = Date.now()): Caller {
  const caller = callerOf(event, now);
  // The policy's own decision for a route reserved to the user managers: their role, and the second factor MFA_REQUIRED_ROLES may ask of it.
  const refusal = routeRefusal({ access: roleConfig().userManagers }, { role: caller.role, otp: signedInWithOtp(caller.amr) }, processMfaRequiredRoles());
  if (refusal) throw new ForbiddenError(refusal);
  return caller;
}

export type HttpHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

/** Time kept back from the Lambda timeout to log and return the 503 (a timed-out function answers nothing). */
export const DEADLINE_MARGIN_MS = 500;

/**
 * Wraps a route's logic: request-scoped log keys (request-logging.ts), an
 * X-Ray subsegment (tracing.ts), every error mapped to the contract, and a
 * deadline. A hung dependency (each DynamoDB call may take
 * its timeout times its attempts, several calls in a row) must not run the
 * function into its own timeout, which API Gateway would answer with a bare
 * 5xx: shortly before the Lambda deadline the client gets `503` with
 * `Retry-After` instead. The inner function parses, calls one domain
 * function and returns a response.
 */
export function httpHandler(fn: (request: HttpRequest, context?: Context) => Promise<APIGatewayProxyResult>): HttpHandler {
  return tracedHandler(async (event: APIGatewayProxyEvent, context?: Context) => {
    startRequestLog(event, context);
    try {
      return await withDeadline(fn(toRequest(event), context), budgetOf(context));
    } catch (error) {
      return errorResponse(error);
    }
  });
}

/** Milliseconds the request may take, from the Lambda context; undefined without one. */
function budgetOf(context: Context | undefined): number | undefined {
  const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;
  return typeof remaining === 'number' && Number.isFinite(remaining) ? Math.max(0, remaining - DEADLINE_MARGIN_MS) : undefined;
}

function withDeadline<T>(work: Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return work;
  // The work may still fail after the deadline has answered: that late failure has nobody to tell.
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ServiceUnavailableError('deadline: a dependency did not answer in time')), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
