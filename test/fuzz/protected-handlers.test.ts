/**
 * Fuzzing the protected route handlers (FUZZ_RUNS events each, 10,000 by
 * default), invoked directly against dynalite with authorizer contexts
 * that are valid (real users, unknown ids, either role), expired, absent
 * or garbage. Same property as the public handlers, plus: without a valid,
 * unexpired authorizer context the answer is 401, and an admin route never
 * serves a caller whose context says `user` (403).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { Users } from '../../lambdas/domain/users';
import { keys } from '../../lambdas/shared/table-schema';
import { setUpEnvironment } from '../support/environment';
import { proxyEvent, routed } from '../support/events';
import { strongPassword } from '../support/local-stack';
import {
  anyString,
  anyValue,
  bodies,
  contractProblem,
  events,
  FUZZ_RUNS,
  headers,
  isObject,
  isOrder,
  isPage,
  isUser,
  mostly,
  objectWith,
  pathParams,
  prototypePolluted,
  queries,
  requestContexts,
  type Caller,
  type RouteContract,
} from './fuzz-support';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
type Name = 'profile' | 'create-order' | 'list-orders' | 'admin' | 'list-users' | 'set-user-role' | 'delete-user' | 'list-sessions' | 'revoke-session' | 'revoke-all-sessions' | 'revoke-user-sessions';

const h = {} as Record<Name, Handler>;
/** Users that stay (profile, orders, roles), and users the delete-user run may delete. */
const users: string[] = [];
const disposable: string[] = [];
/** Callers of the admin routes, which re-read the caller's account: admins and (as demoted admins) some users. */
const staff: string[] = [];

beforeAll(async () => {
  const env = await setUpEnvironment();
  for (const name of ['profile', 'create-order', 'list-orders', 'admin', 'list-users', 'set-user-role', 'delete-user', 'list-sessions', 'revoke-session', 'revoke-all-sessions', 'revoke-user-sessions'] as const) {
    h[name] = routed(name, ((await import(`../../lambdas/handlers/${name}`)) as { handler: Handler }).handler);
  }
  const register = ((await import('../../lambdas/handlers/register')) as { handler: Handler }).handler;
  for (let i = 0; i < 40; i++) {
    const response = await register(proxyEvent({ httpMethod: 'POST', json: { email: `fuzz-${i}@example.com`, password: strongPassword() } }));
    (i < 10 ? users : disposable).push(JSON.parse(response.body).user.id);
  }
  const accounts = new Users(env.db);
  for (let i = 0; i < 3; i++) {
    staff.push((await accounts.create({ email: `fuzz-admin-${i}@example.com`, role: 'admin', passwordHash: '$2b$04$x' }, new Date().toISOString())).id);
  }
  staff.push(users[0]!);
});

afterEach(() => {
  expect(prototypePolluted()).toBe(false);
});

/** Ids read when generated (the pools fill in beforeAll). */
const idFrom = (pool: string[]) => fc.nat().map((i) => pool[i % Math.max(1, pool.length)] ?? 'none-yet');
const ids = (pool: string[]) =>
  fc.oneof({ arbitrary: idFrom(pool), weight: 3 }, { arbitrary: fc.uuid(), weight: 2 }, { arbitrary: fc.constantFrom('', 'USER#x', '00000000-0000-0000-0000-000000000000', '3F0C1C8E-5A7E-4B43-9A55-0A8F5B5D2C11'), weight: 1 }, { arbitrary: anyString, weight: 2 });
const callers = (role: fc.Arbitrary<'user' | 'admin'>): fc.Arbitrary<Caller> => fc.record({ sub: ids(users), role });
/** Mostly real admins, so that the re-check passes often enough to reach every answer behind it. */
const staffCallers: fc.Arbitrary<Caller> = fc.record({ sub: fc.oneof({ arbitrary: idFrom(staff), weight: 6 }, { arbitrary: ids(users), weight: 2 }), role: fc.constantFrom('admin' as const, 'admin' as const, 'admin' as const, 'user' as const) });
const anyRole = fc.constantFrom('user' as const, 'admin' as const);
const mostlyAdmin = fc.constantFrom('admin' as const, 'admin' as const, 'admin' as const, 'user' as const);

const b64json = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
const cursors = fc.oneof(
  { arbitrary: fc.record({ pk: fc.oneof(idFrom(users).map((id) => keys.orderPartition(id)), anyString), sk: fc.oneof(fc.constant('2026-01-01T00:00:00.000Z#x'), anyString) }).map(b64json), weight: 2 },
  {
    arbitrary: fc.record({ pk: fc.constantFrom('EMAIL#fuzz-1@example.com', 'USER#x'), sk: fc.constantFrom('ACCOUNT', 'PROFILE'), gsi1pk: fc.constantFrom('USERS', 'OTHER'), gsi1sk: anyString }).map(b64json),
    weight: 2,
  },
  { arbitrary: anyValue.map(b64json), weight: 1 },
  { arbitrary: anyString, weight: 2 },
);
const pageQueries = queries(
  fc.record(
    { limit: fc.oneof(fc.integer({ min: 1, max: 100 }).map(String), fc.constantFrom('0', '101', '-1', '1e2', '007', ' 5', '5 ', '9999', '10000', 'NaN', '')), cursor: cursors },
    { requiredKeys: [] },
  ),
);

const item = objectWith({ sku: mostly(fc.string({ minLength: 1, maxLength: 64 }), 5), quantity: mostly(fc.integer({ min: 1, max: 1000 }), 5) });
const orderBody = objectWith({ items: mostly(fc.oneof({ arbitrary: fc.array(item, { minLength: 1, maxLength: 5 }), weight: 5 }, { arbitrary: fc.array(item, { maxLength: 60 }), weight: 1 }), 6) });

interface Case {
  readonly name: Name;
  readonly method: string;
  readonly path: string;
  readonly admin: boolean;
  readonly body: fc.Arbitrary<Record<string, unknown>>;
  readonly callers: fc.Arbitrary<Caller>;
  readonly pathIds?: string[];
  readonly query?: fc.Arbitrary<unknown>;
  readonly contract: RouteContract;
}

const CASES: Case[] = [
  {
    name: 'profile',
    method: 'GET',
    path: '/api/profile',
    admin: false,
    body: objectWith({ x: anyString }),
    callers: callers(anyRole),
    contract: { statuses: [200, 401, 404], success: (s, b) => s === 200 && isObject(b) && isUser(b.user) },
  },
  {
    name: 'create-order',
    method: 'POST',
    path: '/api/orders',
    admin: false,
    body: orderBody,
    callers: callers(anyRole),
    contract: { statuses: [201, 400, 401, 404, 413, 415], success: (s, b) => s === 201 && isObject(b) && isOrder(b.order) },
  },
  {
    name: 'list-orders',
    method: 'GET',
    path: '/api/orders',
    admin: false,
    body: objectWith({ x: anyString }),
    callers: callers(anyRole),
    query: pageQueries,
    contract: { statuses: [200, 400, 401], success: (s, b) => s === 200 && isPage('orders', isOrder)(b) },
  },
  {
    name: 'admin',
    method: 'GET',
    path: '/api/admin',
    admin: true,
    body: objectWith({ x: anyString }),
    callers: callers(mostlyAdmin),
    contract: { statuses: [200, 401, 403], success: (s, b) => s === 200 && isObject(b) && b.message === 'Admin dashboard' },
  },
  {
    name: 'list-users',
    method: 'GET',
    path: '/api/users',
    admin: true,
    body: objectWith({ x: anyString }),
    callers: staffCallers,
    query: pageQueries,
    contract: { statuses: [200, 400, 401, 403], success: (s, b) => s === 200 && isPage('users', isUser)(b) },
  },
  {
    name: 'set-user-role',
    method: 'PUT',
    path: '/api/users/{id}/role',
    admin: true,
    body: objectWith({ role: mostly(fc.constantFrom('user', 'admin'), 6) }),
    callers: staffCallers,
    pathIds: users,
    contract: { statuses: [200, 400, 401, 403, 404, 413, 415], success: (s, b) => s === 200 && isObject(b) && isUser(b.user) },
  },
  {
    name: 'delete-user',
    method: 'DELETE',
    path: '/api/users/{id}',
    admin: true,
    body: objectWith({ x: anyString }),
    callers: staffCallers,
    pathIds: disposable,
    contract: { statuses: [204, 401, 403, 404], success: () => true },
  },
  {
    name: 'list-sessions',
    method: 'GET',
    path: '/api/sessions',
    admin: false,
    body: objectWith({ x: anyString }),
    callers: callers(anyRole),
    contract: { statuses: [200, 401], success: (s, b) => s === 200 && isObject(b) && Array.isArray(b.sessions) },
  },
  {
    // The fuzz users have no sessions: every id, theirs or not, is 404.
    name: 'revoke-session',
    method: 'DELETE',
    path: '/api/sessions/{id}',
    admin: false,
    body: objectWith({ x: anyString }),
    callers: callers(anyRole),
    contract: { statuses: [401, 404], success: () => false },
  },
  {
    name: 'revoke-all-sessions',
    method: 'POST',
    path: '/api/sessions/revoke-all',
    admin: false,
    body: objectWith({ x: anyString }),
    callers: callers(anyRole),
    contract: { statuses: [204, 401], success: () => true },
  },
  {
    name: 'revoke-user-sessions',
    method: 'DELETE',
    path: '/api/users/{id}/sessions',
    admin: true,
    body: objectWith({ x: anyString }),
    callers: staffCallers,
    pathIds: users,
    contract: { statuses: [204, 401, 403, 404], success: () => true },
  },
];

/** What the authorizer context of an event lets through: a valid, unexpired caller, or nobody. */
function callerOfEvent(event: APIGatewayProxyEvent): { role: unknown } | undefined {
  const authorizer = (event as { requestContext?: { authorizer?: Record<string, unknown> } } | null)?.requestContext?.authorizer;
  if (!authorizer || typeof authorizer !== 'object') return undefined;
  const { principalId, role, exp } = authorizer;
  // API Gateway delivers context values as strings only; exp is whole epoch seconds (lambdas/shared/authorizer-context.ts).
  const ok =
    typeof principalId === 'string' && principalId.length > 0 && (role === 'user' || role === 'admin') && typeof exp === 'string' && /^\d{1,15}$/.test(exp) && Number(exp) + 5 > Date.now() / 1000;
  return ok ? { role } : undefined;
}

it.each(CASES)(`$name: ${FUZZ_RUNS} generated events, each answered within the contract`, async (route) => {
  const arbitrary = events(
    fc.record({
      body: bodies(route.body),
      headers,
      pathParameters: pathParams(ids(route.pathIds ?? users)),
      queryStringParameters: route.query ?? queries(fc.record({ limit: anyString })),
      // About one valid caller in twelve: enough to reach every answer, few enough to keep dynalite's share of the time small.
      requestContext: requestContexts(route.callers, 0.08),
    }),
    route.method,
    route.path,
  );
  let answered = 0;
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(arbitrary, async (event) => {
      const response = await h[route.name](event);
      answered += 1;
      seen.set(response?.statusCode, (seen.get(response?.statusCode) ?? 0) + 1);
      let problem = contractProblem(route.contract, event, response) ?? (prototypePolluted() ? 'Object.prototype polluted' : undefined);
      const caller = callerOfEvent(event);
      if (!problem && !caller && response.statusCode !== 401) problem = `${response.statusCode} without a valid authorizer context`;
      if (!problem && route.admin && caller?.role === 'user' && response.statusCode !== 403) problem = `${response.statusCode} for a user on an admin route`;
      if (problem) throw new Error(`${route.name}: ${problem}`);
    }),
    { numRuns: FUZZ_RUNS },
  );
  expect(answered).toBeGreaterThanOrEqual(FUZZ_RUNS);
  // The generators reach every answer the route can give without a fault: success and each refusal.
  expect({ missing: route.contract.statuses.filter((status) => !seen.has(status)), seen: Object.fromEntries(seen) }).toEqual({ missing: [], seen: expect.anything() });
}, 120_000);
