/**
 * Generators and the contract property for fuzzing the route handlers with
 * fast-check. An event is whatever API Gateway could hand a handler, and
 * worse: JSON of every shape and wrong types, huge strings and numbers,
 * Unicode edge cases, `__proto__` / `constructor` keys, duplicated keys,
 * missing and duplicated headers, base64 bodies (valid and not), random
 * path and query parameters, authorizer contexts present, absent, expired
 * or garbage, and now and then an event that is not an object at all.
 *
 * Generators lean towards invalid input (cheap: refused before any I/O) but
 * keep a share of valid input, which reaches dynalite and bcrypt.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { ERRORS, type ErrorCode } from '../../lambdas/contract/errors';

/** 10,000 events per handler unless FUZZ_RUNS says otherwise: higher for a deeper local run, lower for a quick one while writing a generator. */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 0) || 10_000;

export type Json = unknown;

/** Strings that break naive code: control characters, lone-surrogate-adjacent code points, RTL marks, normalisation traps. */
const EDGE_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\t\n\r',
  '\u202e\u0644\u0627', // RTL override + Arabic
  '\ufeff', // BOM
  '\u200b\u200d', // zero width
  'e\u0301', // combining accent
  '\u00e9', // precomposed
  '\ufb01', // ligature (NFKC: "fi")
  '\ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67', // family emoji (ZWJ sequence)
  '\uffff',
  '\u{10ffff}',
  '%00',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR '1'='1",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a hostile input, not a template
  '${jndi:ldap://x}',
  '{{7*7}}',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'null',
  'undefined',
  'NaN',
  'true',
  '1e309',
  '-0',
  '0x1F',
  'admin',
  'ADMIN',
  'A'.repeat(64),
  'A'.repeat(65),
  'x'.repeat(1000),
];

export const edgeString = fc.constantFrom(...EDGE_STRINGS);

/** Any string: printable, any code point, ASCII controls, the edge list, and the occasional very long one. */
export const anyString: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ maxLength: 40 }), weight: 4 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 40 }), weight: 1 },
  { arbitrary: edgeString, weight: 3 },
  { arbitrary: fc.integer({ min: 300, max: 20_000 }).map((n) => 'z'.repeat(n)), weight: 1 },
);

/** Numbers JSON can carry, and the ones it turns into something else. */
export const anyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.integer({ min: -2, max: 1002 }),
  fc.double(),
  fc.constantFrom(0, -0, 1, -1, 1000, 1001, 0.5, 1e21, 1e308, -1e308, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, Number.MIN_VALUE),
);

/** Any JSON value, with Unicode strings. */
export const anyJson: fc.Arbitrary<Json> = fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' });

/** A value of the wrong type, or the right one, for any field. */
export const anyValue: fc.Arbitrary<Json> = fc.oneof(
  { arbitrary: anyString, weight: 3 },
  { arbitrary: anyNumber, weight: 2 },
  { arbitrary: fc.constantFrom(null, true, false, [], {}), weight: 1 },
  { arbitrary: anyJson, weight: 1 },
);

/** A field that is usually a plausible value and sometimes anything else. */
export function mostly<T>(plausible: fc.Arbitrary<T>, weight = 3): fc.Arbitrary<T | Json> {
  return fc.oneof({ arbitrary: plausible, weight }, { arbitrary: anyValue, weight: 1 });
}

/** A JSON object built from `fields` (each present or absent), plus, sometimes, fields the route does not know. */
export function objectWith(fields: Record<string, fc.Arbitrary<Json>>, presence = 0.85): fc.Arbitrary<Record<string, Json>> {
  const entries = Object.entries(fields).map(([key, arb]) =>
    fc.oneof({ arbitrary: arb.map((v) => [[key, v]] as [string, Json][]), weight: Math.round(presence * 20) }, { arbitrary: fc.constant([] as [string, Json][]), weight: Math.round((1 - presence) * 20) }),
  );
  const extras = fc.oneof(
    { arbitrary: fc.constant([] as [string, Json][]), weight: 8 },
    { arbitrary: fc.array(fc.tuple(fc.oneof(fc.constantFrom('role', 'isAdmin', 'id', 'userId', 'passwordHash', 'admin'), anyString), anyValue), { maxLength: 3 }), weight: 2 },
  );
  return fc.tuple(fc.tuple(...entries), extras).map(([present, extra]) => {
    const out: Record<string, Json> = {};
    for (const [key, value] of [...present.flat(), ...extra]) {
      // defineProperty, so that a key named __proto__ becomes an own property (as JSON.parse makes it) and JSON.stringify writes it.
      Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
    }
    return out;
  });
}

export interface Body {
  readonly body: unknown;
  readonly isBase64Encoded: unknown;
}

/** Raw JSON texts no serializer would produce: duplicate keys, prototype keys, odd numbers, deep nesting, BOMs. */
function rawJsonTexts(valid: fc.Arbitrary<Record<string, Json>>): fc.Arbitrary<string> {
  return fc.oneof(
    valid.map((v) => JSON.stringify(v).replace(/^\{/, '{"role":"admin",')),
    valid.map((v) => `{"__proto__":{"role":"admin","isAdmin":true},${JSON.stringify(v).slice(1)}`),
    valid.map((v) => `{"constructor":{"prototype":{"polluted":true}},${JSON.stringify(v).slice(1)}`),
    valid.map((v) => {
      const text = JSON.stringify(v);
      const first = Object.keys(v)[0];
      return first ? text.replace(/}$/, `,${JSON.stringify(first)}:"second value"}`) : text;
    }),
    // The same member twice, the second spelt with \u escapes and whitespace, or inside a nested object.
    valid.map((v) => {
      const first = Object.keys(v)[0];
      if (first === undefined) return JSON.stringify(v);
      const escaped = Array.from({ length: first.length }, (_, i) => `\\u${first.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
      return JSON.stringify(v).replace(/}$/, ` ,\n "${escaped}" : null}`);
    }),
    valid.map((v) => JSON.stringify(v).replace(/}$/, ',"nested":{"a":1,"a":2}}')),
    valid.map((v) => `\ufeff${JSON.stringify(v)}`),
    valid.map((v) => ` \n\t${JSON.stringify(v, null, 2)}\n `),
    fc.constantFrom('{"items":[{"sku":"a","quantity":1e400}]}', '{"quantity":-0}', '{"limit":1e-400}', `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`, `[${'{},'.repeat(3000)}{}]`),
    fc.constantFrom('{', '{"a":}', "{'a':1}", '{"a":1,}', 'undefined', 'NaN', '', ' ', '\u0000', '{"a":"\\ud800"}', '{"a":"\\u0000"}', '"just a string"', '42', 'null', 'true', '[]'),
  );
}

/** A request body: absent, any JSON, the route's near-valid objects, raw texts, garbage, huge, base64 or not, or not a string at all. */
export function bodies(valid: fc.Arbitrary<Record<string, Json>>): fc.Arbitrary<Body> {
  const text: fc.Arbitrary<string | null | undefined> = fc.oneof(
    { arbitrary: fc.constantFrom(null, undefined, ''), weight: 1 },
    { arbitrary: anyJson.map((v) => JSON.stringify(v)), weight: 2 },
    { arbitrary: valid.map((v) => JSON.stringify(v)), weight: 12 },
    { arbitrary: rawJsonTexts(valid), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 60 }), weight: 1 },
    { arbitrary: fc.integer({ min: 16 * 1024 - 40, max: 40 * 1024 }).map((n) => JSON.stringify({ email: 'x'.repeat(n) })), weight: 1 },
  );
  return fc.oneof(
    { arbitrary: text.map((body) => ({ body, isBase64Encoded: false })), weight: 16 },
    { arbitrary: text.map((body) => ({ body: body == null ? body : Buffer.from(body, 'utf8').toString('base64'), isBase64Encoded: true })), weight: 3 },
    // Claims base64 but is not; or invalid UTF-8 once decoded.
    { arbitrary: fc.oneof(anyString, fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64'))).map((body) => ({ body, isBase64Encoded: true })), weight: 1 },
    { arbitrary: fc.record({ body: anyValue, isBase64Encoded: fc.constantFrom(undefined, null, 'true', 1, true, false) }), weight: 1 },
  );
}

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json;charset=UTF-8', ' application/json ', 'application/json; charset="UTF-8"'];
const OTHER_TYPES = ['application/json; charset=latin1', 'application/json; charset="utf-16"', 'application/json; charset=utf-8; charset=windows-1252', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'application/json-patch+json', '', 'json'];
const HEADER_NAMES = ['Content-Type', 'content-type', 'CONTENT-TYPE', 'cOnTeNt-TyPe'];

export interface Headers {
  readonly headers: unknown;
  readonly multiValueHeaders: unknown;
}

/** Headers as API Gateway builds them, and not: missing, duplicated with conflicting values, in odd cases, not objects. */
export const headers: fc.Arbitrary<Headers> = fc.oneof(
  {
    arbitrary: fc.record({ name: fc.constantFrom(...HEADER_NAMES), type: fc.constantFrom(...JSON_TYPES), extra: fc.dictionary(anyString, anyString, { maxKeys: 3 }) }).map(({ name, type, extra }) => ({
      headers: { ...extra, [name]: type, Authorization: 'Bearer whatever' },
      multiValueHeaders: { [name]: [type] },
    })),
    weight: 14,
  },
  { arbitrary: fc.constantFrom(...OTHER_TYPES, ...JSON_TYPES).map((type) => ({ headers: { 'Content-Type': type }, multiValueHeaders: null })), weight: 2 },
  // Duplicated: the two maps disagree, or one name appears in two spellings.
  {
    arbitrary: fc.tuple(fc.constantFrom(...JSON_TYPES, ...OTHER_TYPES), fc.constantFrom(...JSON_TYPES, ...OTHER_TYPES)).map(([a, b]) => ({
      headers: { 'content-type': a, 'Content-Type': b },
      multiValueHeaders: { 'Content-Type': [b, a], 'content-type': [a] },
    })),
    weight: 2,
  },
  { arbitrary: fc.constantFrom({ headers: {}, multiValueHeaders: {} }, { headers: null, multiValueHeaders: null }, { headers: undefined, multiValueHeaders: undefined }), weight: 1 },
  { arbitrary: fc.record({ headers: anyValue, multiValueHeaders: anyValue }), weight: 1 },
);

/** Query parameters: absent, plausible, garbage, or not a map of strings. */
export function queries(plausible: fc.Arbitrary<Record<string, string>>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(null, undefined), weight: 3 },
    { arbitrary: plausible, weight: 4 },
    { arbitrary: fc.dictionary(fc.oneof(fc.constantFrom('limit', 'cursor'), anyString), anyString, { maxKeys: 4 }), weight: 2 },
    { arbitrary: anyValue, weight: 1 },
  );
}

/** Path parameters: absent, plausible, garbage, or not a map of strings. */
export function pathParams(ids: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: ids.map((id) => ({ id })), weight: 6 },
    { arbitrary: anyString.map((id) => ({ id })), weight: 2 },
    { arbitrary: fc.constantFrom(null, undefined, {}), weight: 1 },
    { arbitrary: fc.record({ id: anyValue }), weight: 1 },
  );
}

export interface Caller {
  readonly sub: string;
  readonly role: 'user' | 'admin';
  /** How the caller's token says it signed in (the context carries it as a JSON array); none, as an older token. */
  readonly amr?: readonly string[];
}

/** The authorizer context API Gateway passes for a valid, unexpired token of `caller`. */
export function validContext({ sub, role, amr }: Caller): unknown {
  const exp = String(Math.floor(Date.now() / 1000) + 600);
  return { requestId: 'fuzz', authorizer: { principalId: sub, sub, role, jti: 'j', exp, ...(amr ? { amr: JSON.stringify(amr) } : {}), integrationLatency: 0 } };
}

/**
 * `requestContext`: absent, empty, a valid authorizer context, an expired
 * one, or garbage. `validShare` is how often it is valid (roughly): valid
 * callers reach DynamoDB, which is what costs time.
 */
export function requestContexts(callers: fc.Arbitrary<Caller>, validShare = 0.6): fc.Arbitrary<unknown> {
  const other = Math.max(1, Math.round((1 - validShare) * 20));
  const validWeight = Math.max(1, Math.round(validShare * 20));
  const future = () => String(Math.floor(Date.now() / 1000) + 600);
  const valid = callers.map(validContext);
  return fc.oneof(
    { arbitrary: valid, weight: validWeight },
    { arbitrary: fc.constantFrom(undefined, null, {}, { authorizer: null }, { authorizer: {} }, { requestId: 42 }), weight: 2 * other },
    {
      arbitrary: fc.record({
        principalId: fc.oneof(anyValue, callers.map((c) => c.sub)),
        role: fc.oneof(fc.constantFrom('user', 'admin', 'root', 'Admin', ''), anyValue),
        exp: fc.oneof(fc.constantFrom('0', '1000', 'soon', 'NaN', 'Infinity', '1e309', '', '-1'), anyValue, fc.constant(future())),
      }).map((authorizer) => ({ authorizer })),
      weight: 3 * other,
    },
    // Expired behind a cached Allow.
    { arbitrary: callers.map(({ sub, role }) => ({ authorizer: { principalId: sub, role, exp: String(Math.floor(Date.now() / 1000) - 3600) } })), weight: other },
    { arbitrary: anyValue, weight: other },
  );
}

export interface EventParts {
  readonly body: Body;
  readonly headers: Headers;
  readonly pathParameters: unknown;
  readonly queryStringParameters: unknown;
  readonly requestContext: unknown;
}

/** An API Gateway proxy event from its parts, or, now and then, something that is not an event at all. */
export function events(parts: fc.Arbitrary<EventParts>, method: string, path: string): fc.Arbitrary<APIGatewayProxyEvent> {
  const event = parts.map(
    (p) =>
      ({
        resource: path,
        path,
        httpMethod: method,
        headers: p.headers.headers,
        multiValueHeaders: p.headers.multiValueHeaders,
        queryStringParameters: p.queryStringParameters,
        multiValueQueryStringParameters: null,
        pathParameters: p.pathParameters,
        stageVariables: null,
        requestContext: p.requestContext,
        body: p.body.body,
        isBase64Encoded: p.body.isBase64Encoded,
      }) as unknown as APIGatewayProxyEvent,
  );
  return fc.oneof({ arbitrary: event, weight: 60 }, { arbitrary: fc.constantFrom(null, undefined, 42, 'event', [], {}) as fc.Arbitrary<unknown>, weight: 1 }) as fc.Arbitrary<APIGatewayProxyEvent>;
}

const PASSWORD_FIELDS = ['password', 'newPassword', 'currentPassword'] as const;

/** A password an event carries, if its body (as the handler would decode it) is a JSON object with a string `password` (or `newPassword`, `currentPassword`). */
function passwordIn(event: APIGatewayProxyEvent): { password: string; text: string } | undefined {
  const raw = (event as { body?: unknown } | null)?.body;
  if (typeof raw !== 'string') return undefined;
  const text = (event as { isBase64Encoded?: unknown }).isBase64Encoded === true ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  try {
    const value = JSON.parse(text) as Record<string, unknown> | null;
    if (!value || typeof value !== 'object') return undefined;
    const password = PASSWORD_FIELDS.map((field) => value[field]).find((v): v is string => typeof v === 'string' && v.length >= 8);
    return password === undefined ? undefined : { password, text };
  } catch {
    return undefined;
  }
}

function occurrences(haystack: string, needle: string): number {
  return needle.length === 0 ? 0 : haystack.split(needle).length - 1;
}

export interface RouteContract {
  /** Every status the contract lets this route answer. */
  readonly statuses: readonly number[];
  /** The success body's shape, for 2xx answers. */
  readonly success: (status: number, body: unknown) => boolean;
}

const CONTRACT_ERROR_KEYS = new Set(['error', 'message', 'details']);

/** Why `response` breaks the contract for this route and event, or undefined if it keeps it. */
export function contractProblem(route: RouteContract, event: APIGatewayProxyEvent, response: APIGatewayProxyResult): string | undefined {
  if (!response || typeof response !== 'object') return 'no response object';
  const { statusCode, headers, body } = response;
  if (typeof statusCode !== 'number') return 'no status';
  if (statusCode >= 500) return `a ${statusCode}`;
  if (!route.statuses.includes(statusCode)) return `status ${statusCode} is not one this route may answer`;
  if (headers?.['Access-Control-Allow-Origin'] !== '*') return 'no CORS header';
  if (typeof body !== 'string') return 'body is not a string';
  if (/\$2[aby]\$\d\d\$/.test(body)) return 'a bcrypt hash in the body';

  const carried = passwordIn(event);
  if (carried && carried.password.length >= 8) {
    const password = carried.password.toLowerCase();
    // Only a password the request does not also carry elsewhere (as an email, a name, a key) can be told apart from those.
    if (occurrences(carried.text.toLowerCase(), password) === 1) {
      const lower = body.toLowerCase();
      if (lower.includes(password) || lower.includes(JSON.stringify(password).slice(1, -1))) return 'the password is echoed back';
    }
  }

  if (statusCode === 204) return body === '' ? undefined : '204 with a body';
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'body is not JSON';
  }
  if (hasKey(parsed, /^(password|passwordhash|hash|d)$/i)) return `a secret-looking member in the body: ${body.slice(0, 200)}`;
  if (statusCode >= 200 && statusCode < 300) return route.success(statusCode, parsed) ? undefined : `${statusCode} body is not the success shape: ${body.slice(0, 200)}`;

  const error = parsed as { error?: unknown; message?: unknown; details?: unknown };
  if (!error || typeof error !== 'object' || Array.isArray(error)) return 'error body is not an object';
  if (Object.keys(error).some((k) => !CONTRACT_ERROR_KEYS.has(k))) return `error body has extra keys: ${body.slice(0, 200)}`;
  if (typeof error.error !== 'string' || !(error.error in ERRORS)) return `unknown error code ${String(error.error)}`;
  if (ERRORS[error.error as ErrorCode].status !== statusCode) return `code ${error.error} with status ${statusCode}`;
  if (typeof error.message !== 'string' || error.message.length === 0) return 'error without a message';
  if (error.details !== undefined) {
    if (error.error !== 'validation_error' || !Array.isArray(error.details)) return 'details on a non-validation error';
    for (const d of error.details as { field?: unknown; message?: unknown }[]) {
      if (typeof d?.field !== 'string' || typeof d?.message !== 'string') return 'a detail without field and message';
    }
  }
  if ((statusCode === 429 || statusCode === 503) && !/^\d+$/.test(String(headers?.['Retry-After']))) return `${statusCode} without Retry-After`;
  return undefined;
}

/** Whether any object inside `value` has a member whose name matches (a field name inside `details` is a value, not a member). */
function hasKey(value: unknown, name: RegExp): boolean {
  if (Array.isArray(value)) return value.some((v) => hasKey(v, name));
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => name.test(k) || hasKey(v, name));
}

/** Prototype pollution shows up as a new property on every object. */
export function prototypePolluted(): boolean {
  const probe = {} as Record<string, unknown>;
  return Object.keys(Object.prototype).length > 0 || probe.role !== undefined || probe.isAdmin !== undefined || probe.polluted !== undefined;
}

/** Shapes of the contract's success bodies. */
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const isUser = (v: unknown): boolean =>
  isObject(v) &&
  typeof v.id === 'string' &&
  typeof v.email === 'string' &&
  (v.role === 'user' || v.role === 'admin') &&
  typeof v.createdAt === 'string' &&
  Object.keys(v).every((k) => ['id', 'email', 'name', 'role', 'createdAt'].includes(k));
export const isTokenPair = (v: unknown): boolean =>
  isObject(v) && typeof v.accessToken === 'string' && typeof v.refreshToken === 'string' && v.tokenType === 'Bearer' && typeof v.expiresIn === 'number';
export const isOrder = (v: unknown): boolean => isObject(v) && typeof v.id === 'string' && typeof v.userId === 'string' && Array.isArray(v.items) && typeof v.createdAt === 'string';
export const isPage = (key: string, item: (v: unknown) => boolean) => (v: unknown) =>
  isObject(v) && Array.isArray(v[key]) && (v[key] as unknown[]).every(item) && (v.nextCursor === undefined || typeof v.nextCursor === 'string');
export { isObject };
