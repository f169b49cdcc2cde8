/**
 * The smoke test of a deployed stage (`npm run smoke -- <ApiUrl>`): a
 * throw-away user walks the contract's main paths, then the questions the
 * API Gateway documentation leaves open are asked of the real stage and
 * the answers recorded. Nothing here needs an admin or an AWS credential.
 *
 * The throw-away user deletes itself with `DELETE /api/profile` (its
 * password in the body) when the route table has it; without it the user
 * is left behind and the report says so. Its email (`smoke+<random>@example.invalid`) is recognisable and can
 * never receive mail.
 */
import { randomBytes } from 'node:crypto';
import { ROUTES, type Route } from '../../lambdas/contract/routes';
import type { Answer, Send } from './http';

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  /** What came back, in a few words. */
  readonly detail: string;
}

export interface Observation {
  readonly question: string;
  readonly answer: string;
}

export interface SmokeReport {
  readonly checks: readonly Check[];
  readonly observations: readonly Observation[];
  /** What the run could not clean up. */
  readonly leftBehind: readonly string[];
  /** How to count the authorizer's invocations for this run (CloudWatch), and what to expect. */
  readonly authorizerCount: AuthorizerCount;
  readonly ok: boolean;
}

export interface AuthorizerCount {
  readonly from: string;
  readonly to: string;
  /** Invocations this run causes if API Gateway caches Allow decisions and 401s per token. */
  readonly ifBothCached: number;
  /** ... if it caches Allow decisions only. */
  readonly ifAllowCachedOnly: number;
  /** ... if it caches nothing (a TTL of 0). */
  readonly ifNothingCached: number;
}

export interface SmokeOptions {
  /** Requests with one valid token, to count authorizer invocations against. */
  readonly repeats?: number;
  readonly now?: () => Date;
}

/** The header size API Gateway refuses (10,240 bytes of header values), plus a margin. */
const OVERSIZED_HEADER_BYTES = 11 * 1024;
/** The route a user deletes itself with, once the route table has it. */
export const SELF_DELETE: Route | undefined = (ROUTES as readonly Route[]).find((route) => route.method === 'DELETE' && route.path === '/api/profile');

export async function runSmoke(send: Send, options: SmokeOptions = {}): Promise<SmokeReport> {
  const repeats = options.repeats ?? 10;
  const now = options.now ?? (() => new Date());
  const from = now();
  const checks: Check[] = [];
  const observations: Observation[] = [];
  const leftBehind: string[] = [];
  // Authorizer runs this run causes: per distinct valid token (once, when cached), per request with one.
  const tally = { validTokens: 0, validRequests: 0, invalidRequests: 0 };

  const check = (name: string, answer: Answer, ok: boolean): boolean => {
    checks.push({ name, ok, detail: describe(answer) });
    return ok;
  };
  const observe = (question: string, answer: string) => observations.push({ question, answer });

  const random = randomBytes(9).toString('hex');
  const email = `smoke+${random}@example.invalid`;
  const password = `smoke-${randomBytes(24).toString('base64url')}`;

  check('GET / answers 200 ok', ...status(await send({ method: 'GET', path: '/' }), 200, (a) => field(a, 'status') === 'ok'));
  const jwks = await send({ method: 'GET', path: '/.well-known/jwks.json' });
  check('GET /.well-known/jwks.json lists EC P-256 keys', jwks, jwks.status === 200 && isKeySet(jwks.json));
  const unknown = await send({ method: 'GET', path: `/smoke-${random}` });
  check('an unknown route answers 404 not_found with CORS', unknown, unknown.status === 404 && field(unknown, 'error') === 'not_found' && cors(unknown));

  const registered = await send({ method: 'POST', path: '/register', body: { email, password, name: 'wristband smoke test' } });
  if (!check(`POST /register creates ${email}`, registered, registered.status === 201)) return finish();
  const userId = String((registered.json as { user?: { id?: unknown } }).user?.id ?? '');
  leftBehind.push(`the user ${email} (id ${userId}): ${SELF_DELETE ? 'its self-delete failed' : 'no self-delete route yet (DELETE /api/profile); an admin can remove it with DELETE /api/users/{id}'}`);

  const loggedIn = await send({ method: 'POST', path: '/login', body: { email, password } });
  if (!check('POST /login answers a token pair', loggedIn, loggedIn.status === 200 && isTokenPair(loggedIn.json))) return finish();
  const first = loggedIn.json as TokenPair;
  tally.validTokens++;

  const profile = await send({ method: 'GET', path: '/api/profile', token: first.accessToken });
  tally.validRequests++;
  check('GET /api/profile answers the caller', profile, profile.status === 200 && field(profile, 'user', 'email') === email);
  const admin = await send({ method: 'GET', path: '/api/admin', token: first.accessToken });
  tally.validRequests++;
  check('GET /api/admin answers 403 forbidden to a user', admin, admin.status === 403 && field(admin, 'error') === 'forbidden');
  const anonymous = await send({ method: 'GET', path: '/api/profile' });
  check('GET /api/profile answers 401 without a token, with CORS', anonymous, anonymous.status === 401 && cors(anonymous));

  const refreshed = await send({ method: 'POST', path: '/refresh', body: { refreshToken: first.refreshToken } });
  const second = isTokenPair(refreshed.json) ? (refreshed.json as TokenPair) : undefined;
  check('POST /refresh rotates the pair', refreshed, refreshed.status === 200 && second !== undefined && second.refreshToken !== first.refreshToken);
  const current = second ?? first;
  if (second) {
    tally.validTokens++;
    const again = await send({ method: 'GET', path: '/api/profile', token: second.accessToken });
    tally.validRequests++;
    check('the refreshed access token is accepted', again, again.status === 200);
  }

  // The questions the documentation leaves open.
  const slash = await send({ method: 'GET', path: '/api/profile/', token: current.accessToken });
  tally.validRequests++;
  observe('GET /api/profile/ (trailing slash) with a valid token', describe(slash));
  observe('an unknown route with a trailing slash', describe(await send({ method: 'GET', path: `/smoke-${random}/` })));
  observe('an unknown route with a Bearer header', describe(await send({ method: 'GET', path: `/smoke-${random}`, token: current.accessToken })));
  observe(
    `a request with an ${OVERSIZED_HEADER_BYTES}-byte header (API Gateway caps header values at 10,240 bytes)`,
    describe(await send({ method: 'GET', path: '/', headers: { 'X-Smoke-Padding': 'x'.repeat(OVERSIZED_HEADER_BYTES) } })),
  );
  // Whether a 401 is cached per token is invisible to a client (the answer is 401 either way): the invocation count tells.
  const bogus = `smoke.${random}.invalid`;
  const refusals: string[] = [];
  for (let i = 0; i < 3; i++) {
    refusals.push(String((await send({ method: 'GET', path: '/api/profile', token: bogus })).status));
    tally.invalidRequests++;
  }
  observe('a well-formed but invalid token, 3 times', `${refusals.join(', ')} (whether the 401 was cached: see the authorizer count below)`);
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = Date.now();
    await send({ method: 'GET', path: '/api/profile', token: current.accessToken });
    times.push(Date.now() - started);
    tally.validRequests++;
  }
  observe(`${repeats} more requests with one token: latency in ms`, times.join(' '));

  const loggedOut = await send({ method: 'POST', path: '/logout', body: { refreshToken: current.refreshToken } });
  check('POST /logout answers 204', loggedOut, loggedOut.status === 204);
  const revoked = await send({ method: 'POST', path: '/refresh', body: { refreshToken: current.refreshToken } });
  check('a logged-out refresh token answers 401', revoked, revoked.status === 401);

  if (SELF_DELETE) {
    // The route wants the password again (a stolen access token alone must not delete an account).
    const deleted = await send({ method: 'DELETE', path: '/api/profile', token: current.accessToken, body: { password } });
    tally.validRequests++;
    if (check('DELETE /api/profile removes the throw-away user', deleted, deleted.status === 204)) leftBehind.length = 0;
  }
  return finish();

  function finish(): SmokeReport {
    const to = now();
    const authorizerCount: AuthorizerCount = {
      from: from.toISOString(),
      to: to.toISOString(),
      ifBothCached: tally.validTokens + (tally.invalidRequests > 0 ? 1 : 0),
      ifAllowCachedOnly: tally.validTokens + tally.invalidRequests,
      ifNothingCached: tally.validRequests + tally.invalidRequests,
    };
    return { checks, observations, leftBehind, authorizerCount, ok: checks.every((c) => c.ok) };
  }
}

interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
}

function status(answer: Answer, expected: number, also: (answer: Answer) => boolean): [Answer, boolean] {
  return [answer, answer.status === expected && also(answer)];
}

/** `answer.json[a][b]...`, or undefined. */
function field(answer: Answer, ...path: string[]): unknown {
  let value: unknown = answer.json;
  for (const key of path) value = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

function cors(answer: Answer): boolean {
  return answer.headers.get('access-control-allow-origin') === '*';
}

function isTokenPair(value: unknown): boolean {
  const pair = value as Partial<TokenPair> | undefined;
  return typeof pair?.accessToken === 'string' && typeof pair.refreshToken === 'string';
}

function isKeySet(value: unknown): boolean {
  const keys = (value as { keys?: unknown } | undefined)?.keys;
  return Array.isArray(keys) && keys.length > 0 && keys.every((key: { kty?: unknown; crv?: unknown }) => key?.kty === 'EC' && key.crv === 'P-256');
}

/** Status, error code or message, CORS: never a token (answers to these requests carry none worth printing). */
export function describe(answer: Answer): string {
  if (answer.error) return `no answer (${answer.error})`;
  const body = answer.json as { error?: unknown; message?: unknown } | undefined;
  const what = typeof body?.error === 'string' ? body.error : typeof body?.message === 'string' ? JSON.stringify(body.message) : answer.text ? 'a body' : 'no body';
  return `${answer.status} ${what}, ${cors(answer) ? 'with' : 'without'} CORS`;
}
