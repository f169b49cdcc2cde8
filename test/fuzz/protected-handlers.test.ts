/**
 * Fuzzing the protected route handlers (FUZZ_RUNS events each, 10,000 by
 * default), invoked directly against dynalite with authorizer contexts
 * that are valid (real users, unknown ids, either role), expired, absent
 * or garbage. Same property as the public handlers, plus: without a valid,
 * unexpired authorizer context the answer is 401, and an admin route never
 * serves a caller whose context says `user` (403). The TOTP routes get
 * accounts with and without TOTP, pending secrets, callers whose token did
 * and did not sign in with a code, right, wrong and replayed codes and
 * recovery codes; no TOTP secret or recovery code of the run's accounts may
 * appear in an answer (enrolment answers only the new one it makes).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import { codeAt, stepAt } from '../../lambdas/domain/totp';
import { Users } from '../../lambdas/domain/users';
import { keys } from '../../lambdas/contract/table-schema';
import { setUpEnvironment } from '../support/environment';
import { proxyEvent, routed, withCaller } from '../support/events';
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
  type Json,
  type RouteContract,
  validContext,
} from './fuzz-support';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
const NAMES = [
  'profile',
  'create-order',
  'list-orders',
  'admin',
  'list-users',
  'set-user-role',
  'delete-user',
  'list-sessions',
  'revoke-session',
  'revoke-all-sessions',
  'revoke-user-sessions',
  'mfa-totp-enrol',
  'mfa-totp-confirm',
  'mfa-totp-disable',
] as const;
type Name = (typeof NAMES)[number];

const h = {} as Record<Name, Handler>;
/** Users that stay (profile, orders, roles), and users the delete-user run may delete. */
const users: string[] = [];
const disposable: string[] = [];
/** Callers of the admin routes, which re-read the caller's account: admins and (as demoted admins) some users. */
const staff: string[] = [];

/** A TOTP account of the run: its id, the secret of its authenticator (active or pending), its recovery codes. */
interface TotpHolder {
  readonly id: string;
  readonly secret: string;
  readonly recoveryCodes: string[];
}
const TOTP_PASSWORD = strongPassword();
/** TOTP on, for enrolment (replacing needs `otp` in the caller's amr) and for turning it off (the last two only ever guess). */
const replacing: TotpHolder[] = [];
const disabling: TotpHolder[] = [];
/** Enrolled, not confirmed yet. */
const pending: TotpHolder[] = [];
/** What no answer may ever contain. */
const secrets = new Set<string>();

beforeAll(async () => {
  const env = await setUpEnvironment();
  for (const name of NAMES) h[name] = routed(name, ((await import(`../../lambdas/handlers/${name}`)) as { handler: Handler }).handler);
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

  // TOTP through its routes: enrolled (pending), or enrolled and confirmed with a code of the last step (so that one of
  // this step can still be used).
  const post = (json: unknown, sub: string) => withCaller(proxyEvent({ httpMethod: 'POST', json }), sub, 'user');
  for (let i = 0; i < 16; i++) {
    const response = await register(proxyEvent({ httpMethod: 'POST', json: { email: `fuzz-totp-${i}@example.com`, password: TOTP_PASSWORD } }));
    const id = (JSON.parse(response.body) as { user: { id: string } }).user.id;
    const { secret } = JSON.parse((await h['mfa-totp-enrol'](post(undefined, id))).body) as { secret: string };
    secrets.add(secret);
    if (i < 4) {
      pending.push({ id, secret, recoveryCodes: [] });
      continue;
    }
    const confirmed = await h['mfa-totp-confirm'](post({ code: codeAt(secret, stepAt(Date.now()) - 1) }, id));
    const { recoveryCodes } = JSON.parse(confirmed.body) as { recoveryCodes: string[] };
    for (const code of recoveryCodes) secrets.add(code);
    (i < 6 ? replacing : disabling).push({ id, secret, recoveryCodes });
  }
}, 60_000);

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

/** A code of `holder`'s secret: this step, or one step of drift either way (accepted), or seven ahead (wrong). */
const codeOf = (holder: TotpHolder, drift: number) => codeAt(holder.secret, stepAt(Date.now()) + drift);
const drifts = fc.constantFrom(-1, 0, 0, 1, 7);
const holderFrom = (pool: TotpHolder[]) => fc.nat().map((i) => pool[i % Math.max(1, pool.length)]);
const codes = fc.oneof(fc.stringMatching(/^\d{6}$/), fc.constantFrom('000000', '123456', '12345', '1234567', ' 123456', '１２３４５６', '12345e'), anyString);
const recoveryCodes = fc.oneof(
  holderFrom(disabling).map((holder) => holder?.recoveryCodes[0] ?? 'none-yet'),
  fc.stringMatching(/^[a-z2-7]{5}-[a-z2-7]{5}$/),
  anyString,
);
const totpCallers = (pool: TotpHolder[]): fc.Arbitrary<Caller> =>
  fc.record({
    sub: fc.oneof({ arbitrary: holderFrom(pool).map((holder) => holder?.id ?? 'none-yet'), weight: 2 }, { arbitrary: ids(users), weight: 2 }),
    role: anyRole,
    amr: fc.constantFrom(undefined, [], ['pwd'], ['pwd', 'otp'], ['otp']),
  });
/** A caller and a body that belong together: the holder's own code (right, replayed or wrong) and password (mostly right). */
type Joint = fc.Arbitrary<{ caller: Caller; body: Record<string, Json> }>;
const confirmations: Joint = fc
  .tuple(holderFrom(pending), drifts)
  .map(([holder, drift]) => ({ caller: { sub: holder?.id ?? 'none-yet', role: 'user' }, body: { code: holder ? codeOf(holder, drift) : '000000' } }));
const disablements: Joint = fc.tuple(fc.nat(), drifts, fc.constantFrom('code', 'code', 'recovery', 'both', 'wrong password')).map(([i, drift, kind]) => {
  const holder = disabling[i % Math.max(1, disabling.length)];
  if (!holder) return { caller: { sub: 'none-yet', role: 'user' }, body: {} };
  // The last two holders only ever guess, and so are locked out.
  const guessing = disabling.indexOf(holder) >= disabling.length - 2;
  const password = guessing || kind === 'wrong password' ? `${TOTP_PASSWORD}!` : TOTP_PASSWORD;
  const code = codeOf(holder, guessing ? 7 : drift);
  const recoveryCode = holder.recoveryCodes[i % holder.recoveryCodes.length]!;
  const factor = kind === 'recovery' && !guessing ? { recoveryCode } : kind === 'both' ? { code, recoveryCode } : { code };
  return { caller: { sub: holder.id, role: 'user' }, body: { password, ...factor } };
});

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
  /** Events whose caller and body belong together (a code of the caller's own secret), a share of the run. */
  readonly joint?: Joint;
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
  {
    // Without TOTP: a pending secret. With it: 403, unless the caller's token signed in with a code.
    name: 'mfa-totp-enrol',
    method: 'POST',
    path: '/api/mfa/totp',
    admin: false,
    body: objectWith({ x: anyString }),
    callers: totpCallers(replacing),
    contract: {
      statuses: [200, 401, 403, 404],
      success: (s, b) => s === 200 && isObject(b) && Object.keys(b).length === 2 && typeof b.secret === 'string' && String(b.otpauthUri).startsWith('otpauth://totp/'),
    },
  },
  {
    name: 'mfa-totp-confirm',
    method: 'POST',
    path: '/api/mfa/totp/confirm',
    admin: false,
    body: objectWith({ code: mostly(codes, 4) }),
    callers: totpCallers(pending),
    joint: confirmations,
    contract: {
      statuses: [200, 400, 401, 404, 413, 415],
      success: (s, b) => s === 200 && isObject(b) && Array.isArray(b.recoveryCodes) && b.recoveryCodes.length === 10 && b.recoveryCodes.every((c) => typeof c === 'string'),
    },
  },
  {
    name: 'mfa-totp-disable',
    method: 'DELETE',
    path: '/api/mfa/totp',
    admin: false,
    body: objectWith({ password: mostly(fc.constantFrom(TOTP_PASSWORD, 'not the password at all'), 4), code: mostly(codes, 3), recoveryCode: mostly(recoveryCodes, 3) }, 0.6),
    callers: totpCallers(disabling),
    joint: disablements,
    contract: { statuses: [204, 400, 401, 404, 413, 415, 429], success: (s) => s === 204 },
  },
];

/** What the authorizer context of an event lets through: a valid, unexpired caller, or nobody. */
function callerOfEvent(event: APIGatewayProxyEvent): { role: unknown } | undefined {
  const authorizer = (event as { requestContext?: { authorizer?: Record<string, unknown> } } | null)?.requestContext?.authorizer;
  if (!authorizer || typeof authorizer !== 'object') return undefined;
  const { principalId, role, exp } = authorizer;
  // API Gateway delivers context values as strings only; exp is whole epoch seconds (lambdas/contract/authorizer-context.ts).
  const ok =
    typeof principalId === 'string' && principalId.length > 0 && (role === 'user' || role === 'admin') && typeof exp === 'string' && /^\d{1,15}$/.test(exp) && Number(exp) + 5 > Date.now() / 1000;
  return ok ? { role } : undefined;
}

it.each(CASES)(`$name: ${FUZZ_RUNS} generated events, each answered within the contract`, async (route) => {
  const parts = fc.record({
    body: bodies(route.body),
    headers,
    pathParameters: pathParams(ids(route.pathIds ?? users)),
    queryStringParameters: route.query ?? queries(fc.record({ limit: anyString })),
    // About one valid caller in twelve: enough to reach every answer, few enough to keep dynalite's share of the time small.
    requestContext: requestContexts(route.callers, 0.08),
  });
  const joint = route.joint?.map(({ caller, body }) => ({
    body: { body: JSON.stringify(body), isBase64Encoded: false },
    headers: { headers: { 'Content-Type': 'application/json' }, multiValueHeaders: null },
    pathParameters: null,
    queryStringParameters: null,
    requestContext: validContext(caller),
  }));
  const arbitrary = events(joint ? fc.oneof({ arbitrary: parts, weight: 4 }, { arbitrary: joint, weight: 1 }) : parts, route.method, route.path);
  let answered = 0;
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(arbitrary, async (event) => {
      const response = await h[route.name](event);
      answered += 1;
      seen.set(response?.statusCode, (seen.get(response?.statusCode) ?? 0) + 1);
      let problem =
        contractProblem(route.contract, event, response) ??
        (prototypePolluted() ? 'Object.prototype polluted' : undefined) ??
        ([...secrets].some((secret) => response.body.includes(secret)) ? 'a TOTP secret or recovery code of the run in the answer' : undefined);
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
