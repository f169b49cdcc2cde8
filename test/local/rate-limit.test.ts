/**
 * The per-client abuse limit in the local stack (local/rate-limit.ts), the
 * stand-in for the stack's WAF rate rule: over HTTP against the real local
 * stack, and the limiter itself on a fake clock.
 */
import { errorBody } from '../../lambdas/contract/errors';
import { abuseLimitedRoutes, ROUTES, type Route } from '../../lambdas/contract/routes';
import { LocalRateLimiter, rateLimiterFromEnv } from '../../local/rate-limit';
import { ALICE, login, startTestStack, type RunningStack } from '../support/local-stack';

const route = (method: string, path: string) => (ROUTES as readonly Route[]).find((r) => r.method === method && r.path === path)!;

describe('over HTTP, with AUTH_RATE_LIMIT=10 per 60 s', () => {
  let running: RunningStack;

  beforeAll(async () => {
    running = await startTestStack({ AUTH_RATE_LIMIT: '10', AUTH_RATE_LIMIT_WINDOW_SECONDS: '60' });
  });

  afterAll(async () => {
    await running.stack.stop();
  });

  it('answers the 11th request to the auth routes from one address with 429 too_many_requests, CORS and Retry-After, and leaves other routes alone', async () => {
    const { api } = running;
    const { accessToken } = await login(api, ALICE.email, ALICE.password); // 1
    for (let i = 0; i < 8; i++) expect((await api('POST', '/login', { body: {} })).status).toBe(400); // 2-9
    expect((await api('POST', '/logout', { body: { refreshToken: 'x' } })).status).toBe(204); // 10: one budget for all four routes

    for (const path of ['/login', '/register', '/refresh', '/logout']) {
      const refused = await api('POST', path, { body: {} });
      expect([path, refused.status, refused.json]).toEqual([path, 429, errorBody('too_many_requests')]);
      expect(refused.headers.get('retry-after')).toBe('60');
      expect(refused.headers.get('access-control-allow-origin')).toBe('*');
      expect(refused.headers.get('access-control-expose-headers')).toContain('Retry-After');
    }

    expect((await api('GET', '/')).status).toBe(200);
    expect((await api('GET', '/.well-known/jwks.json')).status).toBe(200);
    expect((await api('GET', '/api/profile', { token: accessToken })).status).toBe(200);
    expect((await api('OPTIONS', '/login')).status).toBe(204);
  });
});

describe('LocalRateLimiter', () => {
  const loginRoute = route('POST', '/login');
  const registerRoute = route('POST', '/register');

  function limiter(limit: number, windowSeconds = 60) {
    let now = 1_000_000_000_000;
    const instance = new LocalRateLimiter({ limit, windowSeconds, now: () => now });
    return { instance, advance: (seconds: number) => (now += seconds * 1000) };
  }

  it('limits exactly the routes abuseLimitedRoutes() names', () => {
    const { instance } = limiter(10);
    for (const r of ROUTES as readonly Route[]) {
      const limited = abuseLimitedRoutes().includes(r);
      const answers = Array.from({ length: 11 }, () => instance.admit(`ip-${r.method}${r.path}`, r));
      expect([r.path, answers.at(-1)]).toEqual([r.path, !limited]);
    }
  });

  it('keeps a budget per source address', () => {
    const { instance } = limiter(10);
    for (let i = 0; i < 10; i++) expect(instance.admit('198.51.100.1', loginRoute)).toBe(true);
    expect(instance.admit('198.51.100.1', registerRoute)).toBe(false);
    expect(instance.admit('198.51.100.2', loginRoute)).toBe(true);
  });

  it('counts refused requests too, and lets a source in again once its window has passed', () => {
    const { instance, advance } = limiter(10, 60);
    for (let i = 0; i < 10; i++) instance.admit('a', loginRoute);
    advance(30);
    for (let i = 0; i < 5; i++) expect(instance.admit('a', loginRoute)).toBe(false);
    advance(31); // the first ten have left the window; the five refused ones have not
    for (let i = 0; i < 5; i++) expect(instance.admit('a', loginRoute)).toBe(true);
    expect(instance.admit('a', loginRoute)).toBe(false);
    advance(60);
    expect(instance.admit('a', loginRoute)).toBe(true);
  });
});

describe('rateLimiterFromEnv', () => {
  it('is off unless AUTH_RATE_LIMIT is set, and with 0', () => {
    expect(rateLimiterFromEnv({})).toBeUndefined();
    expect(rateLimiterFromEnv({ AUTH_RATE_LIMIT: ' ' })).toBeUndefined();
    expect(rateLimiterFromEnv({ AUTH_RATE_LIMIT: '0', AUTH_RATE_LIMIT_WINDOW_SECONDS: '60' })).toBeUndefined();
  });

  it('reads the limit and the window (default 300 s)', () => {
    expect(rateLimiterFromEnv({ AUTH_RATE_LIMIT: '50' })).toMatchObject({ limit: 50, windowSeconds: 300 });
    expect(rateLimiterFromEnv({ AUTH_RATE_LIMIT: '10', AUTH_RATE_LIMIT_WINDOW_SECONDS: '600' })).toMatchObject({ limit: 10, windowSeconds: 600 });
  });

  it.each([
    [{ AUTH_RATE_LIMIT: '9' }, /authRateLimit must be 0 \(off\) or an integer from 10/],
    [{ AUTH_RATE_LIMIT: 'many' }, /AUTH_RATE_LIMIT="many".*authRateLimit must be/],
    [{ AUTH_RATE_LIMIT: '100', AUTH_RATE_LIMIT_WINDOW_SECONDS: '30' }, /authRateLimitWindowSeconds must be one of 60, 120, 300, 600/],
  ])('refuses %j with the range AWS WAF accepts', (env, message) => {
    expect(() => rateLimiterFromEnv(env)).toThrow(message);
  });

  it('stops the local stack from starting on a value WAF would refuse', async () => {
    await expect(startTestStack({ AUTH_RATE_LIMIT: '5' })).rejects.toThrow(/AUTH_RATE_LIMIT="5".*authRateLimit must be 0 \(off\) or an integer from 10/);
  });
});
