/**
 * Fuzzing the public route handlers (FUZZ_RUNS events each, 10,000 by
 * default), invoked directly against dynalite at bcrypt cost 4. Property:
 * the handler returns; the status is one the contract allows for the route
 * and never a 5xx; an error has exactly the contract's body; a success has
 * the route's shape; no password or hash is echoed; nothing pollutes
 * Object.prototype.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { setUpEnvironment } from '../support/environment';
import { proxyEvent } from '../support/events';
import {
  anyString,
  bodies,
  contractProblem,
  edgeString,
  events,
  FUZZ_RUNS,
  headers,
  isObject,
  isTokenPair,
  isUser,
  mostly,
  objectWith,
  pathParams,
  prototypePolluted,
  queries,
  requestContexts,
  type RouteContract,
} from './fuzz-support';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

const KNOWN = { email: 'fuzz-known@example.com', password: 'a known fuzzing passphrase' };
/** Registered up front: registering them again is 409, logging in with a wrong password counts towards their lockout. */
const TAKEN = Array.from({ length: 12 }, (_, i) => `taken-${i}@example.com`);
const h = {} as Record<'root' | 'register' | 'login' | 'refresh' | 'logout' | 'jwks', Handler>;
/** Real refresh tokens: each refreshes once, then counts as reuse (its family is revoked). */
const refreshTokens: string[] = [];

beforeAll(async () => {
  await setUpEnvironment();
  for (const name of ['root', 'register', 'login', 'refresh', 'logout', 'jwks'] as const) {
    h[name] = ((await import(`../../lambdas/handlers/${name}`)) as { handler: Handler }).handler;
  }
  const post = (json: unknown) => proxyEvent({ httpMethod: 'POST', json });
  for (const email of [KNOWN.email, ...TAKEN]) expect((await h.register(post({ email, password: KNOWN.password }))).statusCode).toBe(201);
  for (let i = 0; i < 20; i++) refreshTokens.push(JSON.parse((await h.login(post(KNOWN))).body).refreshToken);
});

afterEach(() => {
  expect(prototypePolluted()).toBe(false);
});

const emails = fc.oneof(
  { arbitrary: fc.constantFrom(...TAKEN), weight: 3 },
  { arbitrary: fc.constantFrom(...TAKEN).map((e) => `  ${e.toUpperCase()} `), weight: 1 },
  { arbitrary: fc.emailAddress(), weight: 1 },
  { arbitrary: fc.constantFrom('no-at-sign', '@example.com', 'a@b', 'a@@b.co', 'a b@c.io', '"quoted"@example.com', 'a@[127.0.0.1]', 'ü@exämple.com', `${'a'.repeat(65)}@x.io`, `a@${'b'.repeat(250)}.io`), weight: 2 },
  { arbitrary: anyString, weight: 2 },
);
/** Known emails lock after five failures (then cost one read); new ones cost bcrypt and a counter write each. */
const loginEmails = fc.oneof(
  { arbitrary: fc.constantFrom(...TAKEN), weight: 4 },
  { arbitrary: fc.emailAddress(), weight: 1 },
  { arbitrary: fc.constantFrom('no-at-sign', '@example.com', 'a@b', 'a b@c.io', `${'a'.repeat(65)}@x.io`), weight: 2 },
  { arbitrary: anyString, weight: 3 },
);
const passwords = fc.oneof(
  { arbitrary: fc.string({ minLength: 15, maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 8, maxLength: 30 }), weight: 1 },
  { arbitrary: fc.constantFrom('password', 'passwordpassword', '123456789012345', 'qwertyuiopasdfgh', 'x'.repeat(73), 'é'.repeat(40), '\u{1F600}'.repeat(19)), weight: 1 },
  { arbitrary: fc.string({ maxLength: 14 }), weight: 1 },
  { arbitrary: edgeString, weight: 1 },
);
const refreshTokenValues = fc.oneof(
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), weight: 2 },
  // Read when generated (the pool fills in beforeAll): the first use of each rotates, the later ones are reuse.
  { arbitrary: fc.integer({ min: 0, max: 19 }).map((i) => refreshTokens[i] ?? 'not-yet'), weight: 1 },
  { arbitrary: anyString, weight: 3 },
);

const common = {
  headers,
  pathParameters: pathParams(anyString),
  queryStringParameters: queries(fc.record({ limit: anyString })),
  requestContext: requestContexts(fc.record({ sub: anyString, role: fc.constantFrom('user' as const, 'admin' as const) })),
};

interface Case {
  readonly name: keyof typeof h;
  readonly method: string;
  readonly path: string;
  readonly body: fc.Arbitrary<Record<string, unknown>>;
  readonly contract: RouteContract;
}

const refreshBody = objectWith({ refreshToken: mostly(refreshTokenValues, 5) });

const CASES: Case[] = [
  {
    name: 'root',
    method: 'GET',
    path: '/',
    body: objectWith({ anything: anyString }),
    contract: { statuses: [200], success: (_s, b) => isObject(b) && b.name === 'wristband' && b.status === 'ok' },
  },
  {
    name: 'register',
    method: 'POST',
    path: '/register',
    body: objectWith({ email: mostly(emails, 5), password: mostly(passwords, 5), name: mostly(fc.oneof(fc.string({ maxLength: 100 }), fc.string({ unit: 'grapheme', minLength: 90, maxLength: 120 }))) }),
    contract: { statuses: [201, 400, 409, 413, 415], success: (s, b) => s === 201 && isObject(b) && isUser(b.user) && (b.user as { role: string }).role === 'user' },
  },
  {
    name: 'login',
    method: 'POST',
    path: '/login',
    // Mostly bodies that are refused before any lookup; some that reach the lockout counter and bcrypt; a few correct ones.
    body: fc.oneof(
      { arbitrary: objectWith({ email: mostly(loginEmails, 1), password: mostly(passwords, 5) }), weight: 40 },
      { arbitrary: fc.constant({ ...KNOWN }), weight: 1 },
    ),
    contract: { statuses: [200, 400, 401, 413, 415, 429], success: (s, b) => s === 200 && isTokenPair(b) },
  },
  { name: 'refresh', method: 'POST', path: '/refresh', body: refreshBody, contract: { statuses: [200, 400, 401, 413, 415], success: (s, b) => s === 200 && isTokenPair(b) } },
  { name: 'logout', method: 'POST', path: '/logout', body: refreshBody, contract: { statuses: [204, 400, 413, 415], success: () => true } },
  {
    name: 'jwks',
    method: 'GET',
    path: '/.well-known/jwks.json',
    body: objectWith({ keys: anyString }),
    contract: {
      statuses: [200],
      success: (_s, b) => isObject(b) && Array.isArray(b.keys) && b.keys.length > 0 && b.keys.every((k: Record<string, unknown>) => k.d === undefined && typeof k.kid === 'string'),
    },
  },
];

it.each(CASES)(`$name: ${FUZZ_RUNS} generated events, each answered within the contract`, async ({ name, method, path, body, contract }) => {
  const arbitrary = events(fc.record({ ...common, body: bodies(body) }), method, path);
  let answered = 0;
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(arbitrary, async (event) => {
      const response = await h[name](event);
      answered += 1;
      seen.set(response?.statusCode, (seen.get(response?.statusCode) ?? 0) + 1);
      const problem = contractProblem(contract, event, response) ?? (prototypePolluted() ? 'Object.prototype polluted' : undefined);
      if (problem) throw new Error(`${name}: ${problem}`);
    }),
    { numRuns: FUZZ_RUNS },
  );
  expect(answered).toBeGreaterThanOrEqual(FUZZ_RUNS);
  // The generators reach every answer the route can give without a fault: success and each refusal.
  expect({ missing: contract.statuses.filter((status) => !seen.has(status)), seen: Object.fromEntries(seen) }).toEqual({ missing: [], seen: expect.anything() });
}, 120_000);
