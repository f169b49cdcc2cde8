/**
 * The refresh reuse interval (REFRESH_REUSE_INTERVAL_SECONDS, default 10),
 * over HTTP against the local stack: concurrent refreshes with one token
 * all succeed on one chain, and reuse outside the interval still revokes
 * the family. The clock is moved by stubbing Date.now (the handlers run in
 * this process), never by sleeping.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { createDb, getN, getS } from '../../lambdas/edge/dynamo';
import { SETTINGS } from '../../lambdas/contract/settings';
import { LOCAL_TABLE_NAME } from '../../local/stack';
import type { Api } from '../support/http-client';
import { login, startTestStack, strongPassword, uniqueEmail, type RunningStack } from '../support/local-stack';

let running: RunningStack;
let api: Api;

beforeAll(async () => {
  running = await startTestStack();
  api = running.api;
});

afterAll(async () => {
  await running.stack.stop();
});

afterEach(() => {
  jest.restoreAllMocks();
});

async function session() {
  const email = uniqueEmail('grace');
  const password = strongPassword();
  expect((await api('POST', '/register', { body: { email, password } })).status).toBe(201);
  return login(api, email, password);
}

const refresh = (refreshToken: string) => api('POST', '/refresh', { body: { refreshToken } });

/** Moves every clock of the stack (it runs in this process) forward. */
function advanceClock(ms: number) {
  const realNow = Date.now.bind(Date);
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + ms);
}

/** Refresh tokens of the user's families still accepted as fresh: unused and unexpired. */
async function liveTokens(userId: string): Promise<number> {
  const db = createDb({ tableName: LOCAL_TABLE_NAME, endpoint: running.stack.dynamoEndpoint, region: 'local' });
  try {
    const out = await db.client.send(
      new ScanCommand({ TableName: LOCAL_TABLE_NAME, FilterExpression: 'userId = :u AND begins_with(pk, :rt)', ExpressionAttributeValues: { ':u': { S: userId }, ':rt': { S: 'RT#' } }, ConsistentRead: true }),
    );
    const now = Date.now() / 1000;
    return (out.Items ?? []).filter((item) => getN(item, 'usedAt') === undefined && (getN(item, 'expiresAt') ?? 0) > now && getS(item, 'pk')).length;
  } finally {
    db.client.destroy();
  }
}

async function userIdOf(accessToken: string): Promise<string> {
  const profile = await api('GET', '/api/profile', { token: accessToken });
  expect(profile.status).toBe(200);
  return profile.json.user.id;
}

it('20 concurrent refreshes with one token: all 200, all the same successor, and one live chain afterwards', async () => {
  const first = await session();
  const userId = await userIdOf(first.accessToken);

  const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(first.refreshToken)));

  expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
  const successors = new Set(answers.map((a) => a.json.refreshToken));
  expect(successors.size).toBe(1);
  // Every answer carries a working access token.
  for (const a of answers.slice(0, 3)) expect((await api('GET', '/api/profile', { token: a.json.accessToken })).status).toBe(200);
  // One live token: the shared successor (the 19 losers' own candidates were never handed out, and are expired).
  expect(await liveTokens(userId)).toBe(1);
  const next = await refresh([...successors][0] as string);
  expect(next.status).toBe(200);
  expect(await liveTokens(userId)).toBe(1);
  expect((await refresh(next.json.refreshToken)).status).toBe(200);
});

it('a client that lost the answer gets the same successor again, and the chain goes on from it', async () => {
  const first = await session();
  const second = await refresh(first.refreshToken);
  const again = await refresh(first.refreshToken);
  expect(again.status).toBe(200);
  expect(again.json.refreshToken).toBe(second.json.refreshToken);
  expect((await refresh(again.json.refreshToken)).status).toBe(200);
});

it('the same token after the interval is reuse: 401, and the whole family is revoked', async () => {
  const first = await session();
  const second = await refresh(first.refreshToken);
  expect(second.status).toBe(200);

  advanceClock((SETTINGS.refreshReuseIntervalSeconds.default + 1) * 1000);

  const replay = await refresh(first.refreshToken);
  expect([replay.status, replay.json.error]).toEqual([401, 'invalid_token']);
  // The live token of the family is revoked too.
  expect((await refresh(second.json.refreshToken)).status).toBe(401);
});

it('an older ancestor is reuse even within the interval: 401, and the whole family is revoked', async () => {
  const first = await session();
  const second = await refresh(first.refreshToken);
  const third = await refresh(second.json.refreshToken);
  expect(third.status).toBe(200);

  // first's successor (second) is used already: first is not the parent of the live token.
  expect((await refresh(first.refreshToken)).status).toBe(401);
  expect((await refresh(third.json.refreshToken)).status).toBe(401);
  expect((await refresh(second.json.refreshToken)).status).toBe(401);
});

it('logout revokes the family at once: a replay within the interval gets nothing', async () => {
  const first = await session();
  const second = await refresh(first.refreshToken);
  expect((await api('POST', '/logout', { body: { refreshToken: second.json.refreshToken } })).status).toBe(204);

  expect((await refresh(first.refreshToken)).status).toBe(401);
  expect((await refresh(second.json.refreshToken)).status).toBe(401);
});

it('logout with the rotated token still revokes the family', async () => {
  const first = await session();
  const second = await refresh(first.refreshToken);
  expect((await api('POST', '/logout', { body: { refreshToken: first.refreshToken } })).status).toBe(204);

  expect((await refresh(second.json.refreshToken)).status).toBe(401);
});
