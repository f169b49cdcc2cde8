/**
 * The login lockout under bursts, over HTTP against the local stack: however
 * many logins for one email arrive at once, at most LOGIN_MAX_ATTEMPTS
 * passwords are checked per lockout window (each checked wrong password is
 * a 401; every other request gets 429 with Retry-After, unchecked).
 */
import type { ApiResponse } from '../support/http-client';
import { startTestStack, strongPassword, uniqueEmail, type RunningStack } from '../support/local-stack';

const MAX = 5;
let running: RunningStack;

beforeAll(async () => {
  running = await startTestStack({ LOGIN_MAX_ATTEMPTS: String(MAX), LOCKOUT_SECONDS: '900' });
  // Warm up with a burst over distinct emails: the local stack runs every login in one process on one DynamoDB client,
  // and its first burst opens the client's connections (deployed, each concurrent login is its own instance).
  await Promise.all(Array.from({ length: 80 }, () => running.api('POST', '/login', { body: { email: uniqueEmail('warm'), password: strongPassword() } })));
});

afterAll(async () => {
  await running.stack.stop();
  delete process.env.LOGIN_MAX_ATTEMPTS;
  delete process.env.LOCKOUT_SECONDS;
});

async function register(): Promise<{ email: string; password: string }> {
  const email = uniqueEmail('burst');
  const password = strongPassword();
  expect((await running.api('POST', '/register', { body: { email, password } })).status).toBe(201);
  return { email, password };
}

const login = (email: string, password: string) => running.api('POST', '/login', { body: { email, password } });

function statuses(responses: ApiResponse[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

function expectLocked(response: ApiResponse) {
  expect(response.status).toBe(429);
  expect(response.json.error).toBe('too_many_attempts');
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(900);
}

/**
 * Sends wrong passwords one at a time until the email is locked; returns how
 * many were checked (401) on the way. Together with a burst's 401s this is
 * every wrong password checked in the window.
 */
async function checkedUntilLocked(email: string): Promise<number> {
  let checked = 0;
  for (let i = 0; i <= MAX; i++) {
    const next = await login(email, `one-more-wrong-guess-${i}`);
    if (next.status === 429) return checked;
    expect(next.status).toBe(401);
    checked += 1;
  }
  throw new Error(`still not locked after ${MAX + 1} more wrong passwords`);
}

/*
 * On a quiet machine a burst gets exactly MAX answers of 401. On a loaded one
 * (all of these logins share one process and one dynalite here) a counter
 * write can outlive the client's 1 s request timeout: the SDK sends it again
 * and it counts twice (fewer checks, never more), or the login answers 503.
 * So the burst asserts the bound, and the total over the window (burst, then
 * one at a time until locked) is never more than MAX.
 */
it.each([
  ['an existing account', register],
  ['an unknown email', async () => ({ email: uniqueEmail('ghost'), password: strongPassword() })],
])('checks at most LOGIN_MAX_ATTEMPTS of 60 concurrent wrong passwords for %s; the others get 429 unchecked', async (_what, make) => {
  const { email, password } = await make();

  const responses = await Promise.all(Array.from({ length: 60 }, (_, i) => login(email, `wrong-guess-number-${i}`)));

  const counts = statuses(responses);
  expect(Object.keys(counts).filter((s) => !['401', '429', '503'].includes(s))).toEqual([]);
  expect(counts[401]).toBeGreaterThan(0);
  expect(counts[401]).toBeLessThanOrEqual(MAX);
  expect(counts[429]).toBeGreaterThanOrEqual(60 - MAX - (counts[503] ?? 0));
  for (const r of responses.filter((r) => r.status === 429)) expectLocked(r);
  expect((counts[401] ?? 0) + (await checkedUntilLocked(email))).toBeLessThanOrEqual(MAX);
  // The right password is refused too: the budget is spent for the window.
  expectLocked(await login(email, password));
});

it('a right password inside a burst of 100 wrong ones: at most LOGIN_MAX_ATTEMPTS checks, and the lock the wrong ones earn holds', async () => {
  const { email, password } = await register();
  const guesses = Array.from({ length: 101 }, (_, i) => (i === 50 ? password : `wrong-guess-number-${i}`));

  const responses = await Promise.all(guesses.map((guess) => login(email, guess)));

  const counts = statuses(responses);
  expect(Object.keys(counts).filter((s) => !['200', '401', '429', '503'].includes(s))).toEqual([]);
  expect((counts[401] ?? 0) + (counts[200] ?? 0)).toBeLessThanOrEqual(MAX);
  // A success gave back only its own attempt: the window's checked wrong passwords never exceed the limit in total.
  expect((counts[401] ?? 0) + (await checkedUntilLocked(email))).toBeLessThanOrEqual(MAX);
  expectLocked(await login(email, password));
});
