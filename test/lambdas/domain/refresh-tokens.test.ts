/**
 * Refresh tokens over time, against dynalite with a controlled clock: how
 * long a session lasts, how refreshing extends it, where the reuse interval
 * ends, and what the session list shows. (Concurrency is in races.test.ts,
 * failed writes in partial-writes.test.ts, the HTTP view in
 * test/local/refresh-reuse-interval.test.ts and session-controls.test.ts.)
 */
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { keyOf, N } from '../../../lambdas/edge/dynamo';
import { InvalidTokenError } from '../../../lambdas/contract/errors';
import { keys, TABLE } from '../../../lambdas/contract/table-schema';
import { domain, TOKEN_CONFIG, tokensOf } from '../../support/domain';

const PASSWORD = 'correct-horse-battery-staple';
const LIFETIME_MS = TOKEN_CONFIG.refreshTokenTtlSeconds * 1000;
const INTERVAL_MS = TOKEN_CONFIG.refreshReuseIntervalSeconds * 1000;

async function signedIn(email = 'refresh@example.com', client?: string) {
  const env = await domain();
  const user = await env.registration.register({ email, password: PASSWORD });
  const pair = tokensOf(await env.login.login(email, PASSWORD, client));
  return { ...env, user, pair };
}

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => (e instanceof InvalidTokenError ? e.reason : e),
  );

describe('how long a session lasts', () => {
  it('refreshes a while after login, up to the last second of the refresh lifetime, and not after it', async () => {
    const { sessions, clock, pair, refreshTokens, user } = await signedIn();
    clock.advance(LIFETIME_MS - 1000);
    const next = await sessions.refresh(pair.refreshToken);
    expect(next.refreshToken).not.toBe(pair.refreshToken);
    expect(await refreshTokens.sessionsOf(user.id)).toHaveLength(1);

    const { sessions: later, clock: laterClock, pair: laterPair, refreshTokens: laterTokens, user: laterUser } = await signedIn('late@example.com');
    laterClock.advance(LIFETIME_MS);
    expect(await refusal(later.refresh(laterPair.refreshToken))).toBe('unknown_refresh_token');
    // The expired session is gone from the list too, though TTL has not deleted its items yet.
    expect(await laterTokens.sessionsOf(laterUser.id)).toEqual([]);
  });

  it('slides: each refresh gives the session a full lifetime from then, so a session in use never ends', async () => {
    const { sessions, clock, pair, refreshTokens, user } = await signedIn();
    let token = pair.refreshToken;
    // Five refreshes, each most of a lifetime after the one before: 4.5 lifetimes in all.
    for (let i = 0; i < 5; i++) {
      clock.advance(LIFETIME_MS * 0.9);
      token = (await sessions.refresh(token)).refreshToken;
    }
    expect(await refreshTokens.sessionsOf(user.id)).toHaveLength(1);
    clock.advance(LIFETIME_MS - 1000);
    expect(await refreshTokens.sessionsOf(user.id)).toHaveLength(1);
    const last = await sessions.refresh(token);
    clock.advance(LIFETIME_MS);
    expect(await refusal(sessions.refresh(last.refreshToken))).toBe('unknown_refresh_token');
    expect(await refreshTokens.sessionsOf(user.id)).toEqual([]);
  });
});

describe('the reuse interval', () => {
  it('hands out the same successor until the interval is over, and treats the token as stolen from then on', async () => {
    const { sessions, clock, pair } = await signedIn();
    // Rotated on a whole second, so the moment it was used is stored exactly (epoch seconds, in milliseconds).
    clock.advance(1000 - (clock.now() % 1000));
    const next = await sessions.refresh(pair.refreshToken);
    clock.advance(INTERVAL_MS - 1);
    expect((await sessions.refresh(pair.refreshToken)).refreshToken).toBe(next.refreshToken);
    clock.advance(1);
    expect(await refusal(sessions.refresh(pair.refreshToken))).toBe('refresh_token_reused');
    // Reuse revokes the family: the successor the client was using stops too.
    expect(await refusal(sessions.refresh(next.refreshToken))).toBe('family_revoked');
  });

  it('answers a replay within the interval with an access token of the current role', async () => {
    const { sessions, users, pair, user } = await signedIn();
    await sessions.refresh(pair.refreshToken);
    await users.setRole(user.id, 'admin');
    const replay = await sessions.refresh(pair.refreshToken);
    expect(JSON.parse(Buffer.from(replay.accessToken.split('.')[1]!, 'base64url').toString())).toMatchObject({ sub: user.id, role: 'admin' });
  });

  it('gives nothing to a replay within the interval once the session is signed out or the user deleted', async () => {
    const signedOut = await signedIn('out@example.com');
    await signedOut.sessions.refresh(signedOut.pair.refreshToken);
    expect(await signedOut.refreshTokens.revokeAllSessions(signedOut.user.id)).toBe(1);
    expect(await refusal(signedOut.sessions.refresh(signedOut.pair.refreshToken))).toBe('family_revoked');

    const deleted = await signedIn('gone@example.com');
    await deleted.sessions.refresh(deleted.pair.refreshToken);
    await deleted.users.delete(deleted.user.id);
    expect(await refusal(deleted.sessions.refresh(deleted.pair.refreshToken))).toBe('family_revoked');
  });
});

describe('the session list', () => {
  it('shows when each session was opened and last used, and the client, newest first', async () => {
    const { sessions, login, clock, pair, refreshTokens, user } = await signedIn('list@example.com', 'Firefox on Linux');
    const opened = new Date(clock.now()).toISOString();
    clock.advance(60_000);
    const second = tokensOf(await login.login('list@example.com', PASSWORD));
    clock.advance(60_000);
    await sessions.refresh(pair.refreshToken);
    const refreshedAt = new Date(clock.now()).toISOString();

    const list = await refreshTokens.sessionsOf(user.id);
    expect(list).toHaveLength(2);
    expect(list[1]).toEqual({ id: expect.any(String), createdAt: opened, lastUsedAt: refreshedAt, client: 'Firefox on Linux' });
    expect(list[0]).toEqual({ id: expect.any(String), createdAt: new Date(clock.now() - 60_000).toISOString(), lastUsedAt: new Date(clock.now() - 60_000).toISOString() });
    expect(second.refreshToken).toBeDefined();
  });

  it('dates a session from before sessions were described by its expiry: last used one lifetime before it', async () => {
    const { db, clock, refreshTokens, user } = await signedIn('legacy@example.com');
    const expiresAt = Math.floor(clock.now() / 1000) + 1800;
    const legacy = '7d1e6c1e-1111-4111-8111-111111111111';
    await db.client.send(new PutItemCommand({ TableName: db.tableName, Item: { ...keyOf(keys.family(user.id, legacy)), [TABLE.ttlAttribute]: N(expiresAt) } }));
    const dated = new Date((expiresAt - TOKEN_CONFIG.refreshTokenTtlSeconds) * 1000).toISOString();
    expect((await refreshTokens.sessionsOf(user.id)).find((s) => s.id === legacy)).toEqual({ id: legacy, createdAt: dated, lastUsedAt: dated });
  });

  it('signs out everywhere however many sessions there are, and counts only those still live', async () => {
    const { login, sessions, refreshTokens, user, pair } = await signedIn('many@example.com');
    const others = [];
    for (let i = 0; i < 22; i++) others.push(tokensOf(await login.login('many@example.com', PASSWORD)));
    await refreshTokens.revokeSession(user.id, (await refreshTokens.sessionsOf(user.id))[0]!.id);
    expect(await refreshTokens.revokeAllSessions(user.id)).toBe(22);
    expect(await refreshTokens.sessionsOf(user.id)).toEqual([]);
    for (const p of [pair, ...others]) expect(await refusal(sessions.refresh(p.refreshToken))).toBe('family_revoked');
    expect(await refreshTokens.revokeAllSessions(user.id)).toBe(0);
  });
});

describe('a deleted user', () => {
  it("never gets into the account someone registers next with the same email, even when the delete stopped halfway", async () => {
    const { db, registration, sessions, login, pair } = await signedIn('reused@example.com');
    const rotated = await sessions.refresh(pair.refreshToken);
    const kept = tokensOf(await login.login('reused@example.com', PASSWORD));
    // Deletion removes the account first and the sessions after it (Users.delete); here it stopped in between.
    await db.client.send(new DeleteItemCommand({ TableName: db.tableName, Key: keyOf(keys.account('reused@example.com')) }));
    const newcomer = await registration.register({ email: 'reused@example.com', password: `${PASSWORD}-2` });

    // A live token of the old user, and a replay of a rotated one within the interval: neither opens the new account.
    expect(await refusal(sessions.refresh(kept.refreshToken))).toBe('user_gone');
    expect(await refusal(sessions.refresh(pair.refreshToken))).toBe('user_gone');
    expect(newcomer.id).toBeDefined();
    expect(rotated.refreshToken).toBeDefined();
  });
});
