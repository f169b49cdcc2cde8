/**
 * Session controls over HTTP against the local stack: listing and revoking
 * sessions, signing out everywhere, changing the password, deleting one's
 * own account, and an admin signing a user out; each route's errors, and
 * that nobody reaches another user's sessions (IDOR).
 */
import { SETTINGS } from '../../lambdas/contract/settings';
import type { Api } from '../support/http-client';
import { ADMIN, login, startTestStack, strongPassword, uniqueEmail, type RunningStack } from '../support/local-stack';

let running: RunningStack;
let api: Api;

beforeAll(async () => {
  running = await startTestStack();
  api = running.api;
});

afterAll(async () => {
  await running.stack.stop();
});

interface Pair {
  accessToken: string;
  refreshToken: string;
}

async function newUser() {
  const email = uniqueEmail('sessions');
  const password = strongPassword();
  const created = await api('POST', '/register', { body: { email, password } });
  expect(created.status).toBe(201);
  return { email, password, id: created.json.user.id as string };
}

async function signIn(email: string, password: string, userAgent = 'wristband-test/1.0'): Promise<Pair> {
  const response = await api('POST', '/login', { body: { email, password }, headers: { 'User-Agent': userAgent } });
  expect(response.status).toBe(200);
  return response.json;
}

const refresh = (refreshToken: string) => api('POST', '/refresh', { body: { refreshToken } });
const sessionsOf = async (token: string) => {
  const response = await api('GET', '/api/sessions', { token });
  expect(response.status).toBe(200);
  return response.json.sessions as { id: string; createdAt: string; lastUsedAt: string; client?: string }[];
};

function expectError(response: { status: number; headers: Headers; json: { error: string; message: string } }, status: number, code: string) {
  expect([response.status, response.json?.error]).toEqual([status, code]);
  expect(response.json.message).toEqual(expect.any(String));
  // Every 401 carries a Bearer challenge, a wrong current password's included (RFC 9110 §11.6.1).
  if (status === 401) expect(response.headers.get('www-authenticate')).toBe(code === 'invalid_token' ? 'Bearer error="invalid_token"' : 'Bearer');
}

describe('GET /api/sessions', () => {
  it("lists the caller's live sessions newest first, described, and never a token", async () => {
    const { email, password } = await newUser();
    const laptop = await signIn(email, password, 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const phone = await signIn(email, password, 'Wristband-iOS/2.1\t\t (iPhone)');

    const response = await api('GET', '/api/sessions', { token: phone.accessToken });

    expect(response.status).toBe(200);
    const sessions = response.json.sessions;
    expect(sessions).toEqual([
      { id: expect.stringMatching(/^[0-9a-f-]{36}$/), createdAt: expect.any(String), lastUsedAt: expect.any(String), client: 'Wristband-iOS/2.1 (iPhone)' },
      { id: expect.stringMatching(/^[0-9a-f-]{36}$/), createdAt: expect.any(String), lastUsedAt: expect.any(String), client: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0' },
    ]);
    expect(sessions[0].createdAt > sessions[1].createdAt).toBe(true);
    for (const secret of [laptop.refreshToken, phone.refreshToken, laptop.accessToken]) expect(response.text).not.toContain(secret);
  });

  it('shows a refresh as the last use, and drops a session once it is logged out', async () => {
    const { email, password } = await newUser();
    const first = await signIn(email, password);
    const second = await signIn(email, password);
    const [, before] = await sessionsOf(second.accessToken);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await refresh(first.refreshToken)).status).toBe(200);

    const [, after] = await sessionsOf(second.accessToken);
    expect(after!.id).toBe(before!.id);
    expect(after!.lastUsedAt > before!.lastUsedAt).toBe(true);

    expect((await api('POST', '/logout', { body: { refreshToken: second.refreshToken } })).status).toBe(204);
    expect((await sessionsOf(first.accessToken)).map((s) => s.id)).toEqual([before!.id]);
  });

  it('needs a bearer token', async () => {
    expect((await api('GET', '/api/sessions')).status).toBe(401);
  });
});

describe('DELETE /api/sessions/{id}', () => {
  it("revokes one of the caller's sessions: its refresh token stops, the others go on", async () => {
    const { email, password } = await newUser();
    const keep = await signIn(email, password);
    const drop = await signIn(email, password);
    const [newest] = await sessionsOf(keep.accessToken);

    const response = await api('DELETE', `/api/sessions/${newest!.id}`, { token: keep.accessToken });

    expect([response.status, response.text]).toEqual([204, '']);
    expectError(await refresh(drop.refreshToken), 401, 'invalid_token');
    expect((await refresh(keep.refreshToken)).status).toBe(200);
    expect((await sessionsOf(keep.accessToken)).map((s) => s.id)).not.toContain(newest!.id);
  });

  it("answers 404 for another user's session and leaves it alone (no IDOR)", async () => {
    const victim = await newUser();
    const victimPair = await signIn(victim.email, victim.password);
    const [victimSession] = await sessionsOf(victimPair.accessToken);
    const attacker = await newUser();
    const attackerPair = await signIn(attacker.email, attacker.password);

    expectError(await api('DELETE', `/api/sessions/${victimSession!.id}`, { token: attackerPair.accessToken }), 404, 'not_found');

    expect((await refresh(victimPair.refreshToken)).status).toBe(200);
    expect((await sessionsOf(victimPair.accessToken)).map((s) => s.id)).toEqual([victimSession!.id]);
  });

  it.each([['an unknown id', '00000000-0000-4000-8000-000000000000'], ['a malformed id', 'not-a-session'], ['a path-looking id', '..%2F..%2Fprofile']])(
    'answers 404 for %s',
    async (_what, id) => {
      const { email, password } = await newUser();
      const pair = await signIn(email, password);
      expectError(await api('DELETE', `/api/sessions/${id}`, { token: pair.accessToken }), 404, 'not_found');
      expect((await refresh(pair.refreshToken)).status).toBe(200);
    },
  );
});

describe('POST /api/sessions/revoke-all', () => {
  it("signs the caller out everywhere, and nobody else", async () => {
    const { email, password } = await newUser();
    const sessions = [await signIn(email, password), await signIn(email, password), await signIn(email, password)];
    const other = await newUser();
    const otherPair = await signIn(other.email, other.password);

    const response = await api('POST', '/api/sessions/revoke-all', { token: sessions[0]!.accessToken });

    expect(response.status).toBe(204);
    for (const pair of sessions) expectError(await refresh(pair.refreshToken), 401, 'invalid_token');
    expect(await sessionsOf(sessions[0]!.accessToken)).toEqual([]);
    expect((await refresh(otherPair.refreshToken)).status).toBe(200);
  });
});

describe('POST /api/password', () => {
  it('changes the password, revokes every session, and answers a new token pair that works', async () => {
    const { email, password } = await newUser();
    const here = await signIn(email, password);
    const elsewhere = await signIn(email, password);
    const newPassword = strongPassword();

    const response = await api('POST', '/api/password', { token: here.accessToken, body: { currentPassword: password, newPassword } });

    expect(response.status).toBe(200);
    expect(response.json).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900 });
    expect(response.text).not.toContain(newPassword);
    expectError(await refresh(elsewhere.refreshToken), 401, 'invalid_token');
    expectError(await refresh(here.refreshToken), 401, 'invalid_token');
    const next = await refresh(response.json.refreshToken);
    expect(next.status).toBe(200);
    expect(await sessionsOf(next.json.accessToken)).toHaveLength(1);
    expectError(await api('POST', '/login', { body: { email, password } }), 401, 'invalid_credentials');
    expect((await api('POST', '/login', { body: { email, password: newPassword } })).status).toBe(200);
  });

  it('refuses a wrong current password with 401 and changes nothing', async () => {
    const { email, password } = await newUser();
    const pair = await signIn(email, password);

    expectError(await api('POST', '/api/password', { token: pair.accessToken, body: { currentPassword: 'not my password at all', newPassword: strongPassword() } }), 401, 'invalid_credentials');

    expect((await refresh(pair.refreshToken)).status).toBe(200);
    expect((await api('POST', '/login', { body: { email, password } })).status).toBe(200);
  });

  it('counts wrong current passwords towards the login lockout: then 429, for login too', async () => {
    const { email, password } = await newUser();
    const pair = await signIn(email, password);
    for (let i = 0; i < SETTINGS.loginMaxAttempts.default; i++) {
      expect((await api('POST', '/api/password', { token: pair.accessToken, body: { currentPassword: `wrong guess number ${i}`, newPassword: strongPassword() } })).status).toBe(401);
    }

    const locked = await api('POST', '/api/password', { token: pair.accessToken, body: { currentPassword: password, newPassword: strongPassword() } });

    expectError(locked, 429, 'too_many_attempts');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expectError(await api('POST', '/login', { body: { email, password } }), 429, 'too_many_attempts');
  });

  it.each([
    ['too short', 'short pass', 'newPassword'],
    ['common', 'passwordpassword', 'newPassword'],
  ])('refuses a %s new password with 400 naming newPassword', async (_what, newPassword, field) => {
    const { email, password } = await newUser();
    const pair = await signIn(email, password);
    const response = await api('POST', '/api/password', { token: pair.accessToken, body: { currentPassword: password, newPassword } });
    expectError(response, 400, 'validation_error');
    expect(response.json.details.map((d: { field: string }) => d.field)).toEqual([field]);
    expect((await refresh(pair.refreshToken)).status).toBe(200);
  });

  it('refuses a body without both fields, and a missing token', async () => {
    const { email, password } = await newUser();
    const pair = await signIn(email, password);
    expectError(await api('POST', '/api/password', { token: pair.accessToken, body: { newPassword: strongPassword() } }), 400, 'validation_error');
    expect((await api('POST', '/api/password', { body: { currentPassword: password, newPassword: strongPassword() } })).status).toBe(401);
  });
});

describe('DELETE /api/profile', () => {
  it('deletes the caller with their password: profile 404, refresh 401, login 401', async () => {
    const { email, password } = await newUser();
    const pair = await signIn(email, password);
    const other = await signIn(email, password);

    const response = await api('DELETE', '/api/profile', { token: pair.accessToken, body: { password } });

    expect([response.status, response.text]).toEqual([204, '']);
    expectError(await api('GET', '/api/profile', { token: pair.accessToken }), 404, 'not_found');
    for (const p of [pair, other]) expectError(await refresh(p.refreshToken), 401, 'invalid_token');
    expectError(await api('POST', '/login', { body: { email, password } }), 401, 'invalid_credentials');
    // The email is free again.
    expect((await api('POST', '/register', { body: { email, password } })).status).toBe(201);
  });

  it('refuses a wrong password with 401 and deletes nothing', async () => {
    const { email, password } = await newUser();
    const pair = await signIn(email, password);

    expectError(await api('DELETE', '/api/profile', { token: pair.accessToken, body: { password: 'not my password at all' } }), 401, 'invalid_credentials');

    expect((await api('GET', '/api/profile', { token: pair.accessToken })).status).toBe(200);
    expect((await refresh(pair.refreshToken)).status).toBe(200);
  });

  it('refuses a missing password with 400', async () => {
    const { email, password } = await newUser();
    const pair = await signIn(email, password);
    expectError(await api('DELETE', '/api/profile', { token: pair.accessToken }), 400, 'validation_error');
    expect((await api('GET', '/api/profile', { token: pair.accessToken })).status).toBe(200);
  });
});

describe('DELETE /api/users/{id}/sessions (admin)', () => {
  it('signs the user out everywhere', async () => {
    const { id, email, password } = await newUser();
    const sessions = [await signIn(email, password), await signIn(email, password)];
    const admin = await login(api, ADMIN.email, ADMIN.password);

    const response = await api('DELETE', `/api/users/${id}/sessions`, { token: admin.accessToken });

    expect(response.status).toBe(204);
    for (const pair of sessions) expectError(await refresh(pair.refreshToken), 401, 'invalid_token');
    expect((await refresh(admin.refreshToken)).status).toBe(200);
  });

  it('answers 404 for an unknown user', async () => {
    const admin = await login(api, ADMIN.email, ADMIN.password);
    expectError(await api('DELETE', '/api/users/00000000-0000-4000-8000-000000000000/sessions', { token: admin.accessToken }), 404, 'not_found');
  });

  it("is admin only: a user cannot sign someone else out (403), and their sessions live on", async () => {
    const victim = await newUser();
    const victimPair = await signIn(victim.email, victim.password);
    const attacker = await newUser();
    const attackerPair = await signIn(attacker.email, attacker.password);

    expectError(await api('DELETE', `/api/users/${victim.id}/sessions`, { token: attackerPair.accessToken }), 403, 'forbidden');

    expect((await refresh(victimPair.refreshToken)).status).toBe(200);
  });

  /** A user promoted to admin, signed in with a token that says admin. */
  async function secondAdmin(root: string) {
    const admin = await newUser();
    expect((await api('PUT', `/api/users/${admin.id}/role`, { token: root, body: { role: 'admin' } })).status).toBe(200);
    return { ...admin, pair: await signIn(admin.email, admin.password) };
  }

  it("re-reads the caller: a demoted admin's still-valid token gets 403, a deleted admin's 401, and the user's sessions live on", async () => {
    const { accessToken: root } = await login(api, ADMIN.email, ADMIN.password);
    const victim = await newUser();
    const victimPair = await signIn(victim.email, victim.password);
    const demoted = await secondAdmin(root);
    const deleted = await secondAdmin(root);
    expect((await api('PUT', `/api/users/${demoted.id}/role`, { token: root, body: { role: 'user' } })).status).toBe(200);
    expect((await api('DELETE', `/api/users/${deleted.id}`, { token: root })).status).toBe(204);

    expectError(await api('DELETE', `/api/users/${victim.id}/sessions`, { token: demoted.pair.accessToken }), 403, 'forbidden');
    expectError(await api('DELETE', `/api/users/${victim.id}/sessions`, { token: deleted.pair.accessToken }), 401, 'invalid_token');

    expect((await refresh(victimPair.refreshToken)).status).toBe(200);
  });
});
