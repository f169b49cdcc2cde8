/**
 * Refresh tokens over time, against dynalite with a controlled clock: how
 * long a session lasts, how refreshing extends it, where the reuse interval
 * ends, and what the session list shows. (Concurrency is in races.test.ts,
 * failed writes in partial-writes.test.ts, the HTTP view in
 * test/local/refresh-reuse-interval.test.ts and session-controls.test.ts.)
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createHash, createHmac } from 'node:crypto';
import { keyOf, N, S, type Db } from '../../../lambdas/edge/dynamo';
import { InvalidTokenError } from '../../../lambdas/contract/errors';
import { keys, TABLE } from '../../../lambdas/contract/table-schema';
import { RefreshTokens } from '../../../lambdas/domain/refresh-tokens';
import { logger } from '../../../lambdas/telemetry/logger';
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

  it('lists many sessions newest first, whatever order their ids are stored in', async () => {
    const { login, clock, refreshTokens, user } = await signedIn('ordered@example.com');
    for (let i = 0; i < 12; i++) {
      clock.advance(1000);
      tokensOf(await login.login('ordered@example.com', PASSWORD));
    }
    const created = (await refreshTokens.sessionsOf(user.id)).map((s) => s.createdAt);
    expect(created).toHaveLength(13);
    expect(created).toEqual([...created].sort().reverse());
    expect(new Set(created).size).toBe(13);
  });

  it('dates a session from before sessions were described by its expiry: last used one lifetime before it', async () => {
    const { db, clock, refreshTokens, user } = await signedIn('legacy@example.com');
    const expiresAt = Math.floor(clock.now() / 1000) + 1800;
    const legacy = '7d1e6c1e-1111-4111-8111-111111111111';
    await db.client.send(new PutItemCommand({ TableName: db.tableName, Item: { ...keyOf(keys.family(user.id, legacy)), [TABLE.ttlAttribute]: N(expiresAt) } }));
    const dated = new Date((expiresAt - TOKEN_CONFIG.refreshTokenTtlSeconds) * 1000).toISOString();
    expect((await refreshTokens.sessionsOf(user.id)).find((s) => s.id === legacy)).toEqual({ id: legacy, createdAt: dated, lastUsedAt: dated });
  });

  it('signs out everywhere with one write per session, at most ten at a time (a user with many sessions does not burst the table)', async () => {
    const env = await signedIn('burst@example.com');
    for (let i = 0; i < 24; i++) tokensOf(await env.login.login('burst@example.com', PASSWORD));
    const { db, sent, load } = watched(env.db);
    const tokens = new RefreshTokens(db, TOKEN_CONFIG, env.clock.now);
    expect(await tokens.revokeAllSessions(env.user.id)).toBe(25);
    // Only the revocations run concurrently (the session query before them is one call).
    const writes = sent.filter((c) => String(c.input.UpdateExpression ?? '').includes('revokedAt')).length;
    const most = load.mostInFlight;
    expect([writes, most]).toEqual([25, 10]);
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

/** SHA-256 of a refresh token, hex: the key its item is stored under. */
const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * The same table seen through a client that lets a test act between the domain's calls: `before` runs ahead of
 * every command (and may change the table, as a concurrent request would), `sent` lists what was sent, and
 * `mostInFlight` is the most commands that were awaiting DynamoDB at once.
 */
function watched(db: Db, before: (command: { input: Record<string, unknown> }) => Promise<void> = async () => undefined) {
  const sent: { name: string; input: Record<string, unknown> }[] = [];
  const load = { inFlight: 0, mostInFlight: 0 };
  const client = {
    send: async (command: { input: Record<string, unknown>; constructor: { name: string } }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      await before(command);
      load.mostInFlight = Math.max(load.mostInFlight, ++load.inFlight);
      try {
        return await db.client.send(command as never);
      } finally {
        load.inFlight--;
      }
    },
  } as unknown as DynamoDBClient;
  return { db: { client, tableName: db.tableName } satisfies Db, sent, load };
}

describe('how a session signed in', () => {
  it('carries a second factor to every token of the session, replays included, and a password-only sign-in stays password-only', async () => {
    const env = await signedIn('amr@example.com');
    const account = (await env.users.accountByEmail('amr@example.com'))!;
    const withOtp = await env.refreshTokens.start(account, undefined, ['pwd', 'otp']);
    const rotated = await env.refreshTokens.rotate(withOtp);
    expect(rotated.amr).toEqual(['pwd', 'otp']);
    expect((await env.refreshTokens.rotate(withOtp)).amr).toEqual(['pwd', 'otp']);
    expect((await env.refreshTokens.rotate(rotated.refreshToken)).amr).toEqual(['pwd', 'otp']);

    expect((await env.refreshTokens.rotate(env.pair.refreshToken)).amr).toEqual(['pwd']);
  });

  it('reads a token from before amr was stored as a password sign-in, and keeps only methods it knows', async () => {
    const env = await signedIn('old-amr@example.com');
    const account = (await env.users.accountByEmail('old-amr@example.com'))!;
    const tokenWith = async (amr: string | undefined) => {
      const token = await env.refreshTokens.start(account, undefined, ['pwd']);
      const key = keyOf(keys.refreshToken(hashOf(token)));
      await env.db.client.send(
        amr === undefined
          ? new UpdateItemCommand({ TableName: env.db.tableName, Key: key, UpdateExpression: 'REMOVE amr' })
          : new UpdateItemCommand({ TableName: env.db.tableName, Key: key, UpdateExpression: 'SET amr = :a', ExpressionAttributeValues: { ':a': S(amr) } }),
      );
      return (await env.refreshTokens.rotate(token)).amr;
    };
    expect(await tokenWith(undefined)).toEqual(['pwd']);
    expect(await tokenWith('otp sms')).toEqual(['otp']);
    expect(await tokenWith('sms')).toEqual(['pwd']);
  });
});

describe('the successor handed out again', () => {
  it('is HMAC-SHA256 keyed with the parent token over a fixed label and the stored salt: a stored format that a release must not change', async () => {
    const { db, sessions, pair } = await signedIn('derived@example.com');
    const next = await sessions.refresh(pair.refreshToken);
    const item = (await db.client.send(new GetItemCommand({ TableName: db.tableName, Key: keyOf(keys.refreshToken(hashOf(pair.refreshToken))), ConsistentRead: true }))).Item!;
    const salt = Buffer.from(item.successorSalt!.S!, 'base64url');
    const expected = createHmac('sha256', pair.refreshToken).update('wristband refresh successor v1').update(salt).digest().subarray(0, 32).toString('base64url');
    expect(next.refreshToken).toBe(expected);
    expect(item.successor!.S).toBe(hashOf(expected));
  });

  it('is refused as reuse when the stored successor is not the one the token derives (a damaged or foreign salt), rather than handing out a token that exists nowhere', async () => {
    const { db, sessions, pair } = await signedIn('salted@example.com');
    const next = await sessions.refresh(pair.refreshToken);
    await db.client.send(
      new UpdateItemCommand({
        TableName: db.tableName,
        Key: keyOf(keys.refreshToken(hashOf(pair.refreshToken))),
        UpdateExpression: 'SET successorSalt = :s',
        ExpressionAttributeValues: { ':s': S(Buffer.alloc(32, 7).toString('base64url')) },
      }),
    );
    expect(await refusal(sessions.refresh(pair.refreshToken))).toBe('refresh_token_reused');
    expect(await refusal(sessions.refresh(next.refreshToken))).toBe('family_revoked');

    // A stored successor hash of the wrong length is a mismatch too, not a server error.
    const other = await signedIn('short-successor@example.com');
    await other.sessions.refresh(other.pair.refreshToken);
    await other.db.client.send(
      new UpdateItemCommand({
        TableName: other.db.tableName,
        Key: keyOf(keys.refreshToken(hashOf(other.pair.refreshToken))),
        UpdateExpression: 'SET successor = :s',
        ExpressionAttributeValues: { ':s': S('abc') },
      }),
    );
    expect(await refusal(other.sessions.refresh(other.pair.refreshToken))).toBe('refresh_token_reused');
  });

  it('is refused as unknown, not a server error, when the successor item is gone (deleted by hand, or lost in a restore)', async () => {
    const { db, sessions, pair } = await signedIn('lost-successor@example.com');
    const next = await sessions.refresh(pair.refreshToken);
    await db.client.send(new DeleteItemCommand({ TableName: db.tableName, Key: keyOf(keys.refreshToken(hashOf(next.refreshToken))) }));
    expect(await refusal(sessions.refresh(pair.refreshToken))).toBe('unknown_refresh_token');
  });

  it('tells the operator: one line for a replay answered within the interval, one warning for reuse, each naming the user and session only', async () => {
    const { sessions, clock, pair, user, refreshTokens } = await signedIn('logged@example.com');
    const [familyId] = (await refreshTokens.sessionsOf(user.id)).map((s) => s.id);
    const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    try {
      await sessions.refresh(pair.refreshToken);
      await sessions.refresh(pair.refreshToken);
      clock.advance(INTERVAL_MS);
      await refusal(sessions.refresh(pair.refreshToken));
      expect(info.mock.calls).toEqual([['refresh token replayed within the reuse interval: successor handed out again', { userId: user.id, familyId }]]);
      expect(warn.mock.calls).toEqual([['refresh token reuse: family revoked', { userId: user.id, familyId }]]);
    } finally {
      info.mockRestore();
      warn.mockRestore();
    }
  });
});

describe('a rotation racing a change of the table', () => {
  const isUseMark = (command: { input: Record<string, unknown> }) => String(command.input.ConditionExpression ?? '').includes('attribute_not_exists(usedAt)');
  const isFamilyExtension = (command: { input: Record<string, unknown> }) => String(command.input.UpdateExpression ?? '').includes('lastUsedAt = :now');

  it('answers 401, not a server error, when the token item disappears between its read and its use', async () => {
    const env = await signedIn('vanishing@example.com');
    const key = keyOf(keys.refreshToken(hashOf(env.pair.refreshToken)));
    const { db } = watched(env.db, async (command) => {
      if (isUseMark(command)) await env.db.client.send(new DeleteItemCommand({ TableName: env.db.tableName, Key: key }));
    });
    expect(await refusal(new RefreshTokens(db, TOKEN_CONFIG, env.clock.now).rotate(env.pair.refreshToken))).toBe('unknown_refresh_token');
  });

  it('answers 401, not a server error, when the session is deleted between its read and the rotation', async () => {
    const env = await signedIn('deleted-midway@example.com');
    const [familyId] = (await env.refreshTokens.sessionsOf(env.user.id)).map((s) => s.id);
    const { db } = watched(env.db, async (command) => {
      if (isFamilyExtension(command)) await env.db.client.send(new DeleteItemCommand({ TableName: env.db.tableName, Key: keyOf(keys.family(env.user.id, familyId!)) }));
    });
    expect(await refusal(new RefreshTokens(db, TOKEN_CONFIG, env.clock.now).rotate(env.pair.refreshToken))).toBe('family_gone');
    // And the session stays ended: the token opens nothing afterwards either.
    expect(await refusal(env.sessions.refresh(env.pair.refreshToken))).toBe('family_revoked');
  });

  it('reads what decides a rotation and the session list strongly consistent (a stale read would take a just-used token for unused)', async () => {
    const env = await signedIn('consistent@example.com');
    const { db, sent } = watched(env.db);
    const tokens = new RefreshTokens(db, TOKEN_CONFIG, env.clock.now);
    const next = await tokens.rotate(env.pair.refreshToken);
    await tokens.rotate(env.pair.refreshToken);
    await tokens.sessionsOf(env.user.id);
    await tokens.revokeAllSessions(env.user.id);
    const reads = sent.filter((c) => ['GetItemCommand', 'QueryCommand'].includes(c.name));
    expect(reads.map((c) => c.name)).toEqual(expect.arrayContaining(['GetItemCommand', 'QueryCommand']));
    expect(reads.filter((c) => c.input.ConsistentRead !== true)).toEqual([]);
    expect(next.refreshToken).toBeDefined();
  });
});

describe('signing out', () => {
  it('ignores a token it does not know, malformed or unknown', async () => {
    const { refreshTokens, sessions, pair } = await signedIn('logout-unknown@example.com');
    await expect(refreshTokens.revoke('not a refresh token')).resolves.toBeUndefined();
    await expect(refreshTokens.revoke(Buffer.alloc(32, 1).toString('base64url'))).resolves.toBeUndefined();
    expect((await sessions.refresh(pair.refreshToken)).refreshToken).toBeDefined();
  });

  it('fails, and leaves the session usable, when the revocation cannot be written (never a sign-out that did not happen)', async () => {
    const env = await signedIn('logout-outage@example.com');
    const outage = Object.assign(new Error('Service unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    const { db } = watched(env.db, async (command) => {
      if (String(command.input.UpdateExpression ?? '').includes('revokedAt')) throw outage;
    });
    const tokens = new RefreshTokens(db, TOKEN_CONFIG, env.clock.now);
    await expect(tokens.revoke(env.pair.refreshToken)).rejects.toBe(outage);
    await expect(tokens.revokeAllSessions(env.user.id)).rejects.toBe(outage);
    expect((await env.sessions.refresh(env.pair.refreshToken)).refreshToken).toBeDefined();
  });

  it('answers "no such session" for ids that cannot be one, however long, without asking DynamoDB', async () => {
    const env = await signedIn('odd-ids@example.com');
    const { user, sessions, pair } = env;
    const [id] = (await env.refreshTokens.sessionsOf(user.id)).map((s) => s.id);
    const { db, sent } = watched(env.db);
    const refreshTokens = new RefreshTokens(db, TOKEN_CONFIG, env.clock.now);
    for (const odd of ['x'.repeat(2000), `${'x'.repeat(2000)}${id}`, `${id}${'x'.repeat(2000)}`]) {
      expect(await refreshTokens.revokeSession(user.id, odd)).toBe(false);
      expect(await refreshTokens.revokeSession(odd, id!)).toBe(false);
      expect(await refreshTokens.sessionsOf(odd)).toEqual([]);
      expect(await refreshTokens.revokeAllSessions(odd)).toBe(0);
    }
    expect(sent).toEqual([]);
    expect((await sessions.refresh(pair.refreshToken)).refreshToken).toBeDefined();
  });
});

describe('damaged items', () => {
  it('treats a token item missing its user, session, email or expiry as unknown', async () => {
    const env = await signedIn('damaged@example.com');
    const account = (await env.users.accountByEmail('damaged@example.com'))!;
    for (const attribute of ['userId', 'familyId', 'email', TABLE.ttlAttribute]) {
      const token = await env.refreshTokens.start(account, undefined, ['pwd']);
      await env.db.client.send(
        new UpdateItemCommand({ TableName: env.db.tableName, Key: keyOf(keys.refreshToken(hashOf(token))), UpdateExpression: 'REMOVE #a', ExpressionAttributeNames: { '#a': attribute } }),
      );
      expect([attribute, await refusal(env.refreshTokens.rotate(token))]).toEqual([attribute, 'unknown_refresh_token']);
    }
  });

  it('leaves a session item without an expiry out of the list', async () => {
    const { db, refreshTokens, user } = await signedIn('no-expiry@example.com');
    const [id] = (await refreshTokens.sessionsOf(user.id)).map((s) => s.id);
    await db.client.send(
      new UpdateItemCommand({ TableName: db.tableName, Key: keyOf(keys.family(user.id, id!)), UpdateExpression: 'REMOVE #t, lastUsedAt', ExpressionAttributeNames: { '#t': TABLE.ttlAttribute } }),
    );
    expect(await refreshTokens.sessionsOf(user.id)).toEqual([]);
  });
});
