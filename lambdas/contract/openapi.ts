/**
 * The OpenAPI 3.1 document of the HTTP contract, generated from the route
 * table (routes.ts), the request bodies the handlers parse with
 * (request-bodies.ts), the error table (errors.ts) and the limits
 * (settings.ts). Plain data in, plain data out: `npm run openapi` writes it
 * to docs/openapi.json, and `GET /openapi.json` answers it. What is written
 * here by hand is what no code declares: the response shapes, checked
 * against the contract tests' real responses
 * (test/local/contract.test.ts › the OpenAPI document).
 */
import { ERRORS, type ErrorCode } from './errors';
import { FORGOT_PASSWORD_ANSWER, RESEND_VERIFICATION_ANSWER } from './recovery-answers';
import { PAGED_HANDLERS, REQUEST_BODIES } from './request-bodies';
import { DEFAULT_ROLE_CONFIG } from './roles';
import { accessOf, ROUTES, type Route } from './routes';
import { LIMITS, SETTINGS } from './settings';
import { shapeSchema, type JsonSchema, type Shape } from './validation';

/** The contract's version (v2: session controls, discovery), not the package's. */
export const API_VERSION = '2.0.0';

export const OPENAPI_PATH = '/openapi.json';
export const OPENID_CONFIGURATION_PATH = '/.well-known/openid-configuration';

// ---- How the document reads the route table. The route model may change (roles as configuration);
// ---- these helpers are the only code here that looks inside a Route.

/** Who may call a route: nobody needs a token, or a bearer token with one of these roles. */
export type Callers = { readonly public: true } | { readonly public: false; readonly roles: readonly string[] };

export function callersOf(route: Route): Callers {
  // The document describes the default roles; a team's configured names appear in its own deployment's tokens.
  const access = accessOf(route.access);
  if (access === 'public') return { public: true };
  return { public: false, roles: access === 'authenticated' ? DEFAULT_ROLE_CONFIG.roles : access };
}

/** The routes the document describes. */
export function documentedRoutes(): readonly Route[] {
  return ROUTES;
}

/** The request body shape a route's handler parses, if it takes one. */
function bodyOf(route: Route): Shape | undefined {
  return (REQUEST_BODIES as Partial<Record<string, Shape>>)[route.handler];
}

function isPaged(route: Route): boolean {
  return (PAGED_HANDLERS as readonly string[]).includes(route.handler);
}

function pathParametersOf(route: Route): string[] {
  return [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
}

// ---- Response shapes.

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const TIMESTAMP = { type: 'string', format: 'date-time', description: 'ISO 8601, UTC, with milliseconds.' } as const;
const ID = { type: 'string', format: 'uuid', description: 'Opaque id.' } as const;
const object = (properties: Record<string, JsonSchema>, required: string[] = Object.keys(properties)): JsonSchema => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

const ROLE = { type: 'string', description: 'One of the configured roles (default: user, admin).', examples: [...DEFAULT_ROLE_CONFIG.roles] } as const;

const SCHEMAS: Record<string, JsonSchema> = {
  User: object({ id: ID, email: { type: 'string' }, name: { type: 'string' }, role: ROLE, createdAt: TIMESTAMP }, ['id', 'email', 'role', 'createdAt']),
  TokenPair: object({
    accessToken: { type: 'string', description: 'An ES256 JWT (typ at+jwt); send it as `Authorization: Bearer <accessToken>`.' },
    refreshToken: { type: 'string', description: 'Opaque, single use: /refresh answers the next one.' },
    tokenType: { const: 'Bearer' },
    expiresIn: { type: 'integer', minimum: 1, description: "The access token's lifetime in seconds." },
  }),
  Order: object({
    id: ID,
    userId: ID,
    items: {
      type: 'array',
      minItems: LIMITS.orderItemsMin,
      maxItems: LIMITS.orderItemsMax,
      items: object({ sku: { type: 'string', minLength: 1, maxLength: LIMITS.skuMaxLength }, quantity: { type: 'integer', minimum: 1, maximum: LIMITS.quantityMax } }),
    },
    createdAt: TIMESTAMP,
  }),
  Session: object(
    {
      id: ID,
      createdAt: TIMESTAMP,
      lastUsedAt: TIMESTAMP,
      client: { type: 'string', maxLength: LIMITS.clientDescriptionMaxLength, description: 'The User-Agent seen at login; never a token.' },
    },
    ['id', 'createdAt', 'lastUsedAt'],
  ),
  Error: object(
    {
      error: { type: 'string', enum: Object.keys(ERRORS) },
      message: { type: 'string', minLength: 1 },
      details: { type: 'array', minItems: 1, items: object({ field: { type: 'string' }, message: { type: 'string' } }) },
    },
    ['error', 'message'],
  ),
  Jwk: object(
    {
      kty: { const: 'EC' },
      crv: { const: 'P-256' },
      x: { type: 'string' },
      y: { type: 'string' },
      kid: { type: 'string' },
      alg: { const: 'ES256' },
      use: { const: 'sig' },
    },
    ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'],
  ),
  OpenIdConfiguration: {
    type: 'object',
    properties: {
      issuer: { type: 'string', description: 'Exactly the `iss` of every access token.' },
      jwks_uri: { type: 'string', format: 'uri' },
      id_token_signing_alg_values_supported: { type: 'array', items: { const: 'ES256' } },
      response_types_supported: { type: 'array', items: { type: 'string' } },
      subject_types_supported: { type: 'array', items: { type: 'string' } },
      claims_supported: { type: 'array', items: { type: 'string' } },
    },
    required: ['issuer', 'jwks_uri', 'id_token_signing_alg_values_supported', 'response_types_supported', 'subject_types_supported'],
  },
};

const page = (name: string, item: string): JsonSchema =>
  object({ [name]: { type: 'array', items: ref(item) }, nextCursor: { type: 'string', description: 'Pass as `?cursor=` for the next page.' } }, [name]);

interface Success {
  readonly status: number;
  readonly description: string;
  readonly schema?: JsonSchema;
  readonly headers?: Record<string, { description: string; schema: JsonSchema }>;
}

const NO_CONTENT = (description: string): Success => ({ status: 204, description });

/** Each handler's success answer. A route missing here is documented as a bare 200 (and a test names it). */
export const SUCCESS: Readonly<Record<string, Success>> = {
  root: { status: 200, description: 'Liveness.', schema: object({ name: { const: 'wristband' }, status: { const: 'ok' } }) },
  register: { status: 201, description: 'The new user (role `user`).', schema: object({ user: ref('User') }) },
  login: {
    status: 200,
    description: 'A token pair (the login opens a session), or for an account with a second factor a challenge for `POST /login/mfa`.',
    schema: { oneOf: [ref('TokenPair'), object({ mfaRequired: { const: true }, challenge: { type: 'string' } })] },
  },
  'login-mfa': { status: 200, description: 'A token pair whose access token says `amr` pwd+otp; the challenge is used up.', schema: ref('TokenPair') },
  'mfa-totp-enrol': {
    status: 200,
    description: 'A new secret, pending until confirmed, and its otpauth:// URI for the authenticator app.',
    schema: object({ secret: { type: 'string' }, otpauthUri: { type: 'string' } }),
  },
  'mfa-totp-confirm': {
    status: 200,
    description: 'The authenticator is active; the recovery codes, shown this once.',
    schema: object({ recoveryCodes: { type: 'array', items: { type: 'string' } } }),
  },
  'mfa-totp-disable': NO_CONTENT('The second factor is turned off; login answers tokens again.'),
  refresh: { status: 200, description: 'The next token pair; the refresh token sent is used up.', schema: ref('TokenPair') },
  logout: NO_CONTENT("The token's session is revoked (also for an unknown or already revoked token)."),
  jwks: {
    status: 200,
    description: 'The public keys that verify access tokens.',
    schema: object({ keys: { type: 'array', items: ref('Jwk') } }),
    headers: { 'Cache-Control': { description: 'public, max-age=300', schema: { type: 'string' } } },
  },
  openapi: { status: 200, description: 'This document.', schema: { type: 'object', required: ['openapi', 'paths'] } },
  'openid-configuration': { status: 200, description: 'OpenID Connect discovery metadata.', schema: ref('OpenIdConfiguration') },
  profile: { status: 200, description: 'The caller.', schema: object({ user: ref('User') }) },
  'delete-profile': NO_CONTENT("The caller's account, sessions and orders are deleted."),
  'create-order': { status: 201, description: 'The stored order.', schema: object({ order: ref('Order') }) },
  'list-orders': { status: 200, description: "The caller's orders, newest first.", schema: page('orders', 'Order') },
  'change-password': { status: 200, description: 'Every session is revoked; a new token pair for this client.', schema: ref('TokenPair') },
  'list-sessions': { status: 200, description: "The caller's live sessions, newest first.", schema: object({ sessions: { type: 'array', items: ref('Session') } }) },
  'revoke-session': NO_CONTENT('The session is revoked.'),
  'revoke-all-sessions': NO_CONTENT('Every session of the caller is revoked.'),
  admin: {
    status: 200,
    description: 'Proof that the caller is an admin.',
    schema: object({ message: { type: 'string' }, user: object({ id: ID, role: ROLE }) }),
  },
  'list-users': { status: 200, description: 'Users in creation order.', schema: page('users', 'User') },
  'set-user-role': { status: 200, description: 'The user with the new role (in their next access token).', schema: object({ user: ref('User') }) },
  'delete-user': NO_CONTENT('The user, their sessions and their orders are deleted.'),
  'revoke-user-sessions': NO_CONTENT('The user is signed out everywhere.'),
  'forgot-password': {
    status: 202,
    description: 'The same answer for every well-formed email; a reset link is mailed only if the email has an account.',
    schema: object({ message: { const: FORGOT_PASSWORD_ANSWER.message } }),
  },
  'reset-password': {
    status: 200,
    description: "The new password is stored and every session of the account is revoked; the link's token is used up.",
    schema: object({ passwordReset: { const: true } }),
  },
  'verify-email': { status: 200, description: "The account's email is verified; the link's token is used up.", schema: object({ emailVerified: { const: true } }) },
  'resend-verification': {
    status: 202,
    description: 'The same answer for every well-formed email; a new link is mailed only to an unverified account.',
    schema: object({ message: { const: RESEND_VERIFICATION_ANSWER.message } }),
  },
};

/** Error codes a handler answers besides the ones every route of its kind can get. */
const HANDLER_ERRORS: Readonly<Record<string, readonly ErrorCode[]>> = {
  register: ['email_taken'],
  login: ['invalid_credentials', 'too_many_attempts', 'email_not_verified'],
  refresh: ['invalid_token'],
  profile: ['not_found'],
  // The caller's account is read first: a deleted user's still-valid token gets 404.
  'create-order': ['not_found'],
  'change-password': ['invalid_credentials', 'too_many_attempts'],
  'delete-profile': ['invalid_credentials', 'too_many_attempts'],
  // A wrong code is invalid_credentials and spends the email's lockout budget; an unknown or outdated challenge is invalid_token.
  'login-mfa': ['invalid_token', 'invalid_credentials', 'too_many_attempts'],
  'mfa-totp-confirm': ['not_found', 'invalid_credentials'],
  'mfa-totp-disable': ['not_found', 'invalid_credentials', 'too_many_attempts'],
  // A malformed, unknown, expired, used or superseded link token.
  'reset-password': ['invalid_token'],
  'verify-email': ['invalid_token'],
};

/** Every error code a route can answer. */
export function errorCodesOf(route: Route): ErrorCode[] {
  const codes = new Set<ErrorCode>(['too_many_requests', 'service_unavailable']);
  if (bodyOf(route)) for (const code of ['invalid_json', 'validation_error', 'unsupported_media_type', 'payload_too_large'] as const) codes.add(code);
  if (isPaged(route)) codes.add('validation_error');
  if (!callersOf(route).public) for (const code of ['unauthorized', 'invalid_token', 'forbidden'] as const) codes.add(code);
  if (pathParametersOf(route).length > 0) codes.add('not_found');
  for (const code of HANDLER_ERRORS[route.handler] ?? []) codes.add(code);
  return [...codes];
}

const ERROR_HEADERS: Readonly<Record<number, Record<string, { description: string; schema: JsonSchema }>>> = {
  401: { 'WWW-Authenticate': { description: 'A Bearer challenge (RFC 6750); `error_description="The access token expired"` means: refresh.', schema: { type: 'string' } } },
  429: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } },
  503: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } },
};

function errorResponses(route: Route): Record<string, JsonSchema> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(route)) byStatus.set(ERRORS[code].status, [...(byStatus.get(ERRORS[code].status) ?? []), code]);
  const out: Record<string, JsonSchema> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    out[String(status)] = {
      description: codes.map((code) => `\`${code}\`: ${ERRORS[code].message}`).join(' '),
      ...(ERROR_HEADERS[status] ? { headers: ERROR_HEADERS[status] } : {}),
      content: { 'application/json': { schema: { allOf: [ref('Error'), { properties: { error: { enum: codes } } }] } } },
    };
  }
  return out;
}

function operation(route: Route): JsonSchema {
  const callers = callersOf(route);
  const body = bodyOf(route);
  const success = SUCCESS[route.handler] ?? { status: 200, description: 'Success.' };
  const parameters = [
    ...pathParametersOf(route).map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
    ...(isPaged(route)
      ? [
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: LIMITS.pageSizeMax, default: LIMITS.pageSizeDefault } },
          { name: 'cursor', in: 'query', required: false, schema: { type: 'string' }, description: 'The `nextCursor` of the previous page.' },
        ]
      : []),
  ];
  return {
    operationId: route.handler,
    ...(callers.public
      ? { security: [] }
      : { security: [{ bearer: [] }], description: `Roles: ${callers.roles.join(', ')}.`, 'x-wristband-roles': [...callers.roles] }),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: shapeSchema(body) } } } } : {}),
    responses: {
      [String(success.status)]: {
        description: success.description,
        ...(success.headers ? { headers: success.headers } : {}),
        ...(success.schema ? { content: { 'application/json': { schema: success.schema } } } : {}),
      },
      ...errorResponses(route),
    },
  };
}

/** The OpenAPI 3.1 document of `routes` (default: the route table). */
export function openApiDocument(routes: readonly Route[] = documentedRoutes()): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'wristband',
      version: API_VERSION,
      description:
        'Serverless, stateless JWT auth: registration, login, rotating refresh tokens and ES256 access tokens. ' +
        `Request bodies are JSON of at most ${LIMITS.maxBodyBytes / 1024} KiB with exactly the fields listed; ` +
        `access tokens live ACCESS_TOKEN_TTL_SECONDS (default ${SETTINGS.accessTokenTtlSeconds.default}). docs/api.md has the prose.`,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    paths,
    components: {
      schemas: SCHEMAS,
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from /login or /refresh.' } },
    },
  };
}
