/**
 * TOTP second factor over HTTP against the local stack (MFA_REQUIRED_ROLES=admin):
 * enrolment, sign-in with a code and with a recovery code, replay, drift,
 * the lockout under a burst of wrong codes, required-MFA roles, disabling.
 * Codes are computed here as an authenticator app would, from the secret the
 * enrolment answered.
 */
import { codeAt, stepAt } from '../../lambdas/domain/totp';
import { TOTP } from '../../lambdas/contract/settings';
import type { Api, ApiResponse } from '../support/http-client';
import { ADMIN, login, startTestStack, strongPassword, uniqueEmail, type RunningStack } from '../support/local-stack';

const MAX = 5;
let running: RunningStack;
let api: Api;

beforeAll(async () => {
  running = await startTestStack({ LOGIN_MAX_ATTEMPTS: String(MAX), LOCKOUT_SECONDS: '900', MFA_REQUIRED_ROLES: 'admin' });
  api = running.api;
  // Warm up with a burst over distinct emails, as the lockout burst test does: the local stack's first burst opens its
  // DynamoDB client's connections (deployed, each concurrent request is its own instance).
  await Promise.all(Array.from({ length: 80 }, () => api('POST', '/login', { body: { email: uniqueEmail('warm'), password: strongPassword() } })));
  // The same for /login/mfa, which has a client of its own: unknown challenges, one read each.
  await Promise.all(Array.from({ length: 80 }, (_, i) => api('POST', '/login/mfa', { body: { challenge: String(i).padStart(43, 'w'), code: '000000' } })));
});

afterAll(async () => {
  await running.stack.stop();
  for (const name of ['LOGIN_MAX_ATTEMPTS', 'LOCKOUT_SECONDS', 'MFA_REQUIRED_ROLES']) delete process.env[name];
});

const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as { amr?: string[]; role: string };

/**
 * The current time step, computed well inside it: a code computed near the
 * end of a step could reach the server in the next one and shift by one.
 */
async function freshStep(): Promise<number> {
  const into = Date.now() % (TOTP.periodSeconds * 1000);
  if (into > (TOTP.periodSeconds - 4) * 1000) await new Promise((resolve) => setTimeout(resolve, TOTP.periodSeconds * 1000 - into + 200));
  return stepAt(Date.now());
}

async function registerUser(): Promise<{ email: string; password: string }> {
  const email = uniqueEmail('mfa');
  const password = strongPassword();
  expect((await api('POST', '/register', { body: { email, password } })).status).toBe(201);
  return { email, password };
}

/** Enrols and confirms TOTP with a code of `confirmStep` (default: now); the secret and the recovery codes. */
async function enrol(token: string, confirmStep?: number): Promise<{ secret: string; recoveryCodes: string[] }> {
  const started = await api('POST', '/api/mfa/totp', { token });
  expect(started.status).toBe(200);
  const { secret, otpauthUri } = started.json as { secret: string; otpauthUri: string };
  expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/.+\?.*secret=[A-Z2-7]+/);
  const confirmed = await api('POST', '/api/mfa/totp/confirm', { token, body: { code: codeAt(secret, confirmStep ?? (await freshStep())) } });
  expect(confirmed.status).toBe(200);
  return { secret, recoveryCodes: confirmed.json.recoveryCodes };
}

async function challengeFor(email: string, password: string): Promise<string> {
  const response = await api('POST', '/login', { body: { email, password } });
  expect(response.status).toBe(200);
  expect(response.json).toEqual({ mfaRequired: true, challenge: expect.any(String) });
  return response.json.challenge;
}

const answer = (challenge: string, factor: { code: string } | { recoveryCode: string }): Promise<ApiResponse> =>
  api('POST', '/login/mfa', { body: { challenge, ...factor } });

describe('enrolment and sign-in with a code', () => {
  it('a confirmed authenticator turns login into a challenge without tokens; the code answers a pair whose token says pwd+otp', async () => {
    const user = await registerUser();
    const { accessToken } = await login(api, user.email, user.password);
    expect(claimsOf(accessToken).amr).toEqual(['pwd']);

    const { secret, recoveryCodes } = await enrol(accessToken);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);

    const first = await api('POST', '/login', { body: user });
    expect(first.json.accessToken).toBeUndefined();
    const challenge = await challengeFor(user.email, user.password);
    const signedIn = await answer(challenge, { code: codeAt(secret, (await freshStep()) + 1) });
    expect(signedIn.status).toBe(200);
    expect(claimsOf(signedIn.json.accessToken).amr).toEqual(['pwd', 'otp']);
    expect((await api('GET', '/api/profile', { token: signedIn.json.accessToken })).status).toBe(200);

    // The refreshed token keeps how the session signed in.
    const refreshed = await api('POST', '/refresh', { body: { refreshToken: signedIn.json.refreshToken } });
    expect(refreshed.status).toBe(200);
    expect(claimsOf(refreshed.json.accessToken).amr).toEqual(['pwd', 'otp']);
  });

  it('a wrong password still gets the uniform 401 and no challenge', async () => {
    const user = await registerUser();
    await enrol((await login(api, user.email, user.password)).accessToken);
    const response = await api('POST', '/login', { body: { email: user.email, password: 'not the password at all' } });
    expect(response.status).toBe(401);
    expect(response.json.error).toBe('invalid_credentials');
    expect(response.json.challenge).toBeUndefined();
  });

  it('a challenge is single use, and an unknown one is refused', async () => {
    const user = await registerUser();
    const { secret } = await enrol((await login(api, user.email, user.password)).accessToken);
    const challenge = await challengeFor(user.email, user.password);
    const step = await freshStep();
    expect((await answer(challenge, { code: codeAt(secret, step + 1) })).status).toBe(200);
    const again = await answer(challenge, { code: codeAt(secret, step + 1) });
    expect(again.status).toBe(401);
    expect((await answer('A'.repeat(43), { code: '123456' })).json.error).toBe('invalid_token');
  });

  it('a password change voids a challenge its old password earned', async () => {
    const user = await registerUser();
    const { accessToken } = await login(api, user.email, user.password);
    const { secret } = await enrol(accessToken);
    const challenge = await challengeFor(user.email, user.password);
    const changed = await api('POST', '/api/password', { token: accessToken, body: { currentPassword: user.password, newPassword: strongPassword() } });
    expect(changed.status).toBe(200);
    const response = await answer(challenge, { code: codeAt(secret, (await freshStep()) + 1) });
    expect(response.status).toBe(401);
    expect(response.json.error).toBe('invalid_token');
  });

  it('a password change keeps the session\'s amr, and the new password still leads to a challenge', async () => {
    const user = await registerUser();
    const { secret } = await enrol((await login(api, user.email, user.password)).accessToken);
    const signedIn = await answer(await challengeFor(user.email, user.password), { code: codeAt(secret, (await freshStep()) + 1) });
    const newPassword = strongPassword();
    const changed = await api('POST', '/api/password', { token: signedIn.json.accessToken, body: { currentPassword: user.password, newPassword } });
    expect(changed.status).toBe(200);
    expect(claimsOf(changed.json.accessToken).amr).toEqual(['pwd', 'otp']);
    await challengeFor(user.email, newPassword);
  });

  it('re-enrolling over an active authenticator needs a session that signed in with a code', async () => {
    const user = await registerUser();
    const { accessToken } = await login(api, user.email, user.password);
    const { secret } = await enrol(accessToken);
    const withPasswordOnly = await api('POST', '/api/mfa/totp', { token: accessToken });
    expect(withPasswordOnly.status).toBe(403);

    const signedIn = await answer(await challengeFor(user.email, user.password), { code: codeAt(secret, (await freshStep()) + 1) });
    const replaced = await api('POST', '/api/mfa/totp', { token: signedIn.json.accessToken });
    expect(replaced.status).toBe(200);
    // Pending until confirmed: sign-in still asks for the old authenticator's code.
    await challengeFor(user.email, user.password);
  });
});

describe('replay and drift', () => {
  it('accepts one step either way, each code once, and nothing older than the last one used', async () => {
    const user = await registerUser();
    const step = await freshStep();
    // Confirmed with the previous step's code: a phone one step behind.
    const { secret } = await enrol((await login(api, user.email, user.password)).accessToken, step - 1);

    const replayed = await answer(await challengeFor(user.email, user.password), { code: codeAt(secret, step - 1) });
    expect(replayed.status).toBe(401);
    expect(replayed.json.error).toBe('invalid_credentials');

    const now = await answer(await challengeFor(user.email, user.password), { code: codeAt(secret, step) });
    expect(now.status).toBe(200);
    const sameCodeAgain = await answer(await challengeFor(user.email, user.password), { code: codeAt(secret, step) });
    expect(sameCodeAgain.status).toBe(401);

    const tooFarAhead = await answer(await challengeFor(user.email, user.password), { code: codeAt(secret, step + 2) });
    expect(tooFarAhead.status).toBe(401);
    // A phone one step ahead.
    const ahead = await answer(await challengeFor(user.email, user.password), { code: codeAt(secret, step + 1) });
    expect(ahead.status).toBe(200);
  });

  it('of 40 concurrent sign-ins with one valid code, exactly one gets tokens', async () => {
    const user = await registerUser();
    const { secret } = await enrol((await login(api, user.email, user.password)).accessToken);
    const challenges = await Promise.all(Array.from({ length: 4 }, () => challengeFor(user.email, user.password)));
    const code = codeAt(secret, (await freshStep()) + 1);
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => answer(challenges[i % 4] as string, { code })));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    expect(responses.filter((r) => r.status >= 500)).toEqual([]);
  });
});

describe('recovery codes', () => {
  it('signs in with a recovery code once (any case, hyphen optional), with amr pwd+otp', async () => {
    const user = await registerUser();
    const { recoveryCodes } = await enrol((await login(api, user.email, user.password)).accessToken);
    const code = recoveryCodes[3] as string;
    const signedIn = await answer(await challengeFor(user.email, user.password), { recoveryCode: code.toUpperCase().replace('-', '') });
    expect(signedIn.status).toBe(200);
    expect(claimsOf(signedIn.json.accessToken).amr).toEqual(['pwd', 'otp']);
    const again = await answer(await challengeFor(user.email, user.password), { recoveryCode: code });
    expect(again.status).toBe(401);
    expect((await answer(await challengeFor(user.email, user.password), { recoveryCode: recoveryCodes[4] as string })).status).toBe(200);
  });
});

describe('lockout', () => {
  it(`40 concurrent wrong codes: at most ${MAX} are checked, the rest get 429, and then the right code and the right password are locked out too`, async () => {
    const user = await registerUser();
    const { secret } = await enrol((await login(api, user.email, user.password)).accessToken);
    const challenge = await challengeFor(user.email, user.password);
    const right = codeAt(secret, await freshStep());
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, '0');
    const responses = await Promise.all(Array.from({ length: 40 }, () => answer(challenge, { code: wrong })));
    const checked = responses.filter((r) => r.status === 401);
    const locked = responses.filter((r) => r.status === 429);
    expect(checked.length).toBeLessThanOrEqual(MAX);
    expect(responses.filter((r) => r.status !== 401 && r.status !== 429).map((r) => `${r.status} ${r.text}`)).toEqual([]);
    for (const r of locked) expect(r.json.error).toBe('too_many_attempts');

    expect((await answer(challenge, { code: right })).status).toBe(429);
    expect((await api('POST', '/login', { body: user })).status).toBe(429);
  });
});

describe('required MFA for admin (MFA_REQUIRED_ROLES=admin)', () => {
  it('an admin without otp gets 403 on admin routes (saying to enrol) but may enrol; signed in with a code, the admin routes open, across refreshes', async () => {
    const { accessToken } = await login(api, ADMIN.email, ADMIN.password);
    const denied = await api('GET', '/api/admin', { token: accessToken });
    expect(denied.status).toBe(403);
    expect(denied.json.error).toBe('forbidden');
    expect(denied.json.message).toContain('enrol at POST /api/mfa/totp');
    expect((await api('GET', '/api/users', { token: accessToken })).status).toBe(403);
    expect((await api('GET', '/api/profile', { token: accessToken })).status).toBe(200);

    const { secret } = await enrol(accessToken);
    const signedIn = await answer(await challengeFor(ADMIN.email, ADMIN.password), { code: codeAt(secret, (await freshStep()) + 1) });
    expect(signedIn.status).toBe(200);
    expect((await api('GET', '/api/admin', { token: signedIn.json.accessToken })).status).toBe(200);
    // The same token, cached by the gateway from /api/admin, still opens the other admin routes; the old one still does not.
    expect((await api('GET', '/api/users', { token: signedIn.json.accessToken })).status).toBe(200);
    expect((await api('GET', '/api/admin', { token: accessToken })).status).toBe(403);

    const refreshed = await api('POST', '/refresh', { body: { refreshToken: signedIn.json.refreshToken } });
    expect((await api('GET', '/api/admin', { token: refreshed.json.accessToken })).status).toBe(200);
  });

  it('a plain user is not affected: user routes open with a password-only token', async () => {
    const user = await registerUser();
    const { accessToken } = await login(api, user.email, user.password);
    expect((await api('GET', '/api/orders', { token: accessToken })).status).toBe(200);
  });
});

describe('turning it off', () => {
  it('needs the password and a current code; afterwards login answers tokens again, amr pwd', async () => {
    const user = await registerUser();
    const { accessToken } = await login(api, user.email, user.password);
    const { secret } = await enrol(accessToken);
    const step = await freshStep();

    const wrongCode = await api('DELETE', '/api/mfa/totp', { token: accessToken, body: { password: user.password, code: codeAt(secret, step + 3) } });
    expect(wrongCode.status).toBe(401);
    const wrongPassword = await api('DELETE', '/api/mfa/totp', { token: accessToken, body: { password: 'not the password at all', code: codeAt(secret, step + 1) } });
    expect(wrongPassword.status).toBe(401);
    const off = await api('DELETE', '/api/mfa/totp', { token: accessToken, body: { password: user.password, code: codeAt(secret, step + 1) } });
    expect(off.status).toBe(204);

    const pair = await login(api, user.email, user.password);
    expect(claimsOf(pair.accessToken).amr).toEqual(['pwd']);
    expect((await api('DELETE', '/api/mfa/totp', { token: accessToken, body: { password: user.password, code: codeAt(secret, step + 1) } })).status).toBe(404);
  });
});
