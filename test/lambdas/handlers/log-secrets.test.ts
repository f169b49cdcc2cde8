/**
 * No secret in any log line. Every function runs at DEBUG with metrics on,
 * through its successes and its refusals, with passwords, refresh tokens,
 * access tokens (in bodies and Authorization headers), reset and
 * verification links (mailed through SES, a fake endpoint here, as
 * deployed), TOTP secrets and private key material passing through it;
 * then everything it wrote to stdout and stderr is searched for each of
 * those secrets, and for the password hash and refresh-token hashes it
 * stored.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, APIGatewayTokenAuthorizerEvent, Context } from 'aws-lambda';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { functionNames } from '../../../lib/constructs/wristband-functions';
import { LOCAL_KEY_FILES } from '../../../lambdas/keys/key-store';
import { LINK_PARAMETERS } from '../../../lambdas/contract/settings';
import { SES_ENDPOINT_ENV } from '../../../lambdas/wiring/mail-from-env';
import { LOCAL_TOTP_KEY_FILE } from '../../../lambdas/keys/totp-key';
import { codeAt, stepAt } from '../../../lambdas/domain/totp';
import { parseSigningKey } from '../../../lambdas/keys/key-set';
import type { FunctionName } from '../../../lambdas/contract/routes';
import { Users } from '../../../lambdas/domain/users';
import { keys } from '../../../lambdas/contract/table-schema';
import { setUpEnvironment, type TestEnvironment } from '../../support/environment';
import { context, proxyEvent, withCaller, routed } from '../../support/events';
import { FAKE_SECRET_ARN, type FakeSecrets, serveFakeAwsKeys } from '../keys/fake-secrets';
import { captureOutput, type Capture } from '../../support/output-capture';

type Handler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;
type Authorizer = (event: APIGatewayTokenAuthorizerEvent, context?: Context) => Promise<unknown>;

const PASSWORD = 'correct horse battery staple 42';
const WRONG_PASSWORD = 'incorrect horse battery staple 43';
const EMAIL = `secrets-${Date.now()}@example.com`;
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

let env: TestEnvironment;
let capture: Capture;
/** A fake SES (API v2 over HTTP): the text of every mail sent through it, by recipient. */
const mailed: { to: string; text: string }[] = [];
let ses: Server;
/** Every secret that passed through a function, by what it is. */
const secrets = new Map<string, string>();
/** The functions that ran. */
const exercised = new Set<FunctionName>();

async function load<T>(name: FunctionName): Promise<T> {
  exercised.add(name);
  return routed(name, ((await import(`../../../lambdas/handlers/${name}`)) as { handler: (event: APIGatewayProxyEvent) => unknown }).handler) as T;
}

const post = (json: unknown, headers: Record<string, string> = {}) =>
  proxyEvent({ httpMethod: 'POST', json, headers: { 'Content-Type': 'application/json', ...headers } });
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

beforeAll(async () => {
  jest.resetModules();
  ses = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const sent = JSON.parse(body) as { Destination: { ToAddresses: string[] }; Content: { Simple: { Body: { Text: { Data: string } } } } };
      mailed.push({ to: sent.Destination.ToAddresses[0]!, text: sent.Content.Simple.Body.Text.Data });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ MessageId: `fake-${mailed.length}` }));
    });
  });
  await new Promise<void>((resolve) => ses.listen(0, '127.0.0.1', resolve));
  env = await setUpEnvironment({
    POWERTOOLS_LOG_LEVEL: 'DEBUG',
    POWERTOOLS_METRICS_DISABLED: 'false',
    POWERTOOLS_LOGGER_SAMPLE_RATE: '1',
    // Mail as deployed: SES, from a sender, links to the app page.
    MAIL_FROM: 'wristband@example.com',
    APP_URL: 'https://app.example/',
    [SES_ENDPOINT_ENV]: `http://127.0.0.1:${(ses.address() as AddressInfo).port}`,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing-secret-access-key',
  });
  capture = captureOutput();
});

afterAll(async () => {
  capture.restore();
  for (const name of ['MAIL_FROM', 'APP_URL', SES_ENDPOINT_ENV]) delete process.env[name];
  await new Promise((resolve) => ses.close(resolve));
});

/** The token in the newest link of `parameter` mailed to `to`. */
function mailedToken(to: string, parameter: string): string {
  const text = mailed.filter((mail) => mail.to === to && mail.text.includes(`#${parameter}=`)).at(-1)?.text ?? '';
  const token = new RegExp(`#${parameter}=([A-Za-z0-9_-]+)`).exec(text)?.[1];
  if (!token) throw new Error(`no ${parameter} link mailed to ${to}`);
  return token;
}

describe('every function, fed secrets at DEBUG', () => {
  it('runs the HTTP functions through their successes and refusals', async () => {
    const call = async (name: FunctionName, event: APIGatewayProxyEvent) => (await load<Handler>(name))(event, context(name));
    secrets.set('password', PASSWORD).set('wrong password', WRONG_PASSWORD);

    expect((await call('root', proxyEvent())).statusCode).toBe(200);
    expect((await call('register', post({ email: EMAIL, password: PASSWORD, name: 'Sec Ret' }))).statusCode).toBe(201);
    expect((await call('register', post({ email: EMAIL, password: PASSWORD }))).statusCode).toBe(409);
    expect((await call('register', post({ email: `other-${EMAIL}`, password: 'password' }))).statusCode).toBe(400);
    expect((await call('login', post({ email: EMAIL, password: WRONG_PASSWORD }))).statusCode).toBe(401);
    expect((await call('login', proxyEvent({ httpMethod: 'POST', body: `{"email":"${EMAIL}","password":"${PASSWORD}"`, headers: { 'Content-Type': 'application/json' } }))).statusCode).toBe(400);

    const login = await call('login', post({ email: EMAIL, password: PASSWORD }));
    expect(login.statusCode).toBe(200);
    const first = JSON.parse(login.body) as { accessToken: string; refreshToken: string };
    const refreshed = await call('refresh', post({ refreshToken: first.refreshToken }));
    expect(refreshed.statusCode).toBe(200);
    const second = JSON.parse(refreshed.body) as { accessToken: string; refreshToken: string };
    // Within the reuse interval the rotated token gets the same successor again; once that one is used, it is reuse.
    const replayed = await call('refresh', post({ refreshToken: first.refreshToken }));
    expect(JSON.parse(replayed.body).refreshToken).toBe(second.refreshToken);
    const third = await call('refresh', post({ refreshToken: second.refreshToken }));
    expect(third.statusCode).toBe(200);
    expect((await call('refresh', post({ refreshToken: first.refreshToken }))).statusCode).toBe(401);
    expect((await call('logout', post({ refreshToken: second.refreshToken }))).statusCode).toBe(204);
    for (const [what, token] of [
      ['access token', first.accessToken],
      ['refreshed access token', second.accessToken],
    ] as const) {
      secrets.set(what, token).set(`${what} signature`, token.split('.')[2]!);
    }
    secrets.set('refresh token', first.refreshToken).set('rotated refresh token', second.refreshToken);
    secrets.set('twice rotated refresh token', (JSON.parse(third.body) as { refreshToken: string }).refreshToken);
    secrets.set('refresh token hash', sha256(first.refreshToken)).set('rotated refresh token hash', sha256(second.refreshToken));

    const account = await env.db.client.send(new GetItemCommand({ TableName: env.tableName, Key: { pk: { S: keys.account(EMAIL).pk }, sk: { S: 'ACCOUNT' } } }));
    secrets.set('password hash', account.Item!.passwordHash!.S!);
    const userId = account.Item!.userId!.S!;

    const asUser = (event: APIGatewayProxyEvent) => withCaller({ ...event, headers: { ...event.headers, ...bearer(second.accessToken) } }, userId, 'user');
    const asAdmin = (event: APIGatewayProxyEvent) => withCaller({ ...event, headers: { ...event.headers, ...bearer(first.accessToken) } }, userId, 'admin');
    expect((await call('jwks', proxyEvent())).statusCode).toBe(200);
    // The recovery routes, with tokens no mail carried (a mailer-less function sends nothing): a presented token is a secret too.
    const FORGED_RESET = Buffer.alloc(32, 3).toString('base64url');
    const FORGED_VERIFY = Buffer.alloc(32, 4).toString('base64url');
    secrets.set('presented reset token', FORGED_RESET).set('presented verification token', FORGED_VERIFY);
    expect((await call('forgot-password', post({ email: EMAIL }))).statusCode).toBe(202);
    expect((await call('reset-password', post({ token: FORGED_RESET, newPassword: 'another brand new passphrase 7' }))).statusCode).toBe(401);
    expect((await call('verify-email', post({ token: FORGED_VERIFY }))).statusCode).toBe(401);
    expect((await call('resend-verification', post({ email: EMAIL }))).statusCode).toBe(202);
    // Real links: a new account's verification mail and a reset mail, spent as a user would.
    const RECOVERING = `recovering-${EMAIL}`;
    expect((await call('register', post({ email: RECOVERING, password: PASSWORD }))).statusCode).toBe(201);
    expect((await call('forgot-password', post({ email: RECOVERING }))).statusCode).toBe(202);
    const resetToken = mailedToken(RECOVERING, LINK_PARAMETERS.passwordReset);
    const verifyToken = mailedToken(RECOVERING, LINK_PARAMETERS.emailVerification);
    secrets.set('reset token', resetToken).set('reset token hash', sha256(resetToken));
    secrets.set('verification token', verifyToken).set('verification token hash', sha256(verifyToken));
    expect((await call('reset-password', post({ token: resetToken, newPassword: 'a third brand new passphrase 8' }))).statusCode).toBe(200);
    expect((await call('reset-password', post({ token: resetToken, newPassword: 'a fourth brand new passphrase 9' }))).statusCode).toBe(401);
    expect((await call('verify-email', post({ token: verifyToken }))).statusCode).toBe(200);
    expect((await call('verify-email', post({ token: verifyToken }))).statusCode).toBe(401);
    expect((await call('openid-configuration', proxyEvent())).statusCode).toBe(200);
    expect((await call('openapi', proxyEvent())).statusCode).toBe(200);
    expect((await call('profile', asUser(proxyEvent()))).statusCode).toBe(200);
    expect((await call('create-order', asUser(post({ items: [{ sku: 'secret-sku', quantity: 1 }] })))).statusCode).toBe(201);
    expect((await call('list-orders', asUser(proxyEvent()))).statusCode).toBe(200);
    expect((await call('admin', asUser(proxyEvent()))).statusCode).toBe(403);
    expect((await call('admin', asAdmin(proxyEvent()))).statusCode).toBe(200);
    // Admin routes that act on accounts re-read the caller: make the account an admin, as the token says.
    await new Users(env.db).setRole(userId, 'admin');
    expect((await call('list-users', asAdmin(proxyEvent()))).statusCode).toBe(200);
    const user = (path: string) => ({ pathParameters: { id: userId }, path });
    const NEW_PASSWORD = 'a brand new secret passphrase 44';
    secrets.set('new password', NEW_PASSWORD);
    expect((await call('list-sessions', asUser(proxyEvent()))).statusCode).toBe(200);
    expect((await call('revoke-session', asUser({ ...proxyEvent({ httpMethod: 'DELETE' }), pathParameters: { id: '00000000-0000-4000-8000-000000000000' } }))).statusCode).toBe(404);
    expect((await call('change-password', asUser(post({ currentPassword: WRONG_PASSWORD, newPassword: NEW_PASSWORD })))).statusCode).toBe(401);
    const changed = await call('change-password', asUser(post({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, { 'User-Agent': 'secret-free client' })));
    expect(changed.statusCode).toBe(200);
    secrets.set('refresh token after password change', (JSON.parse(changed.body) as { refreshToken: string }).refreshToken);

    // TOTP: enrol, confirm, a challenge, a wrong and a right code, a recovery code, turning it off.
    const enrolled = JSON.parse((await call('mfa-totp-enrol', asUser(post(undefined)))).body) as { secret: string; otpauthUri: string };
    secrets.set('totp secret', enrolled.secret).set('totp key material', readFileSync(join(env.keysDir, LOCAL_TOTP_KEY_FILE), 'utf8'));
    const confirmed = await call('mfa-totp-confirm', asUser(post({ code: codeAt(enrolled.secret, stepAt(Date.now()) - 1) })));
    expect(confirmed.statusCode).toBe(200);
    const recoveryCodes = (JSON.parse(confirmed.body) as { recoveryCodes: string[] }).recoveryCodes;
    for (const [i, code] of recoveryCodes.entries()) secrets.set(`recovery code ${i}`, code);
    const challengeOf = async () => (JSON.parse((await call('login', post({ email: EMAIL, password: NEW_PASSWORD }))).body) as { challenge: string }).challenge;
    const challenge = await challengeOf();
    secrets.set('mfa challenge', challenge).set('mfa challenge hash', sha256(challenge));
    expect((await call('login-mfa', post({ challenge, code: codeAt(enrolled.secret, stepAt(Date.now()) + 5) }))).statusCode).toBe(401);
    expect((await call('login-mfa', post({ challenge, code: codeAt(enrolled.secret, stepAt(Date.now())) }))).statusCode).toBe(200);
    expect((await call('login-mfa', post({ challenge: await challengeOf(), recoveryCode: recoveryCodes[0] }))).statusCode).toBe(200);
    const off = { ...post({ password: NEW_PASSWORD, code: codeAt(enrolled.secret, stepAt(Date.now()) + 1) }), httpMethod: 'DELETE' };
    expect((await call('mfa-totp-disable', asUser(off))).statusCode).toBe(204);
    expect((await call('revoke-all-sessions', asUser(post(undefined)))).statusCode).toBe(204);
    expect((await call('revoke-user-sessions', asAdmin({ ...proxyEvent({ httpMethod: 'DELETE' }), ...user(`/api/users/${userId}/sessions`) }))).statusCode).toBe(204);
    expect((await call('delete-profile', asUser({ ...post({ password: WRONG_PASSWORD }), httpMethod: 'DELETE' }))).statusCode).toBe(401);
    expect((await call('set-user-role', asAdmin({ ...post({ role: 'admin' }), ...user(`/api/users/${userId}/role`), httpMethod: 'PUT' }))).statusCode).toBe(200);
    expect((await call('delete-user', asAdmin({ ...proxyEvent({ httpMethod: 'DELETE' }), ...user(`/api/users/${userId}`) }))).statusCode).toBe(204);

    const authorizer = await load<Authorizer>('authorizer');
    const methodArn = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/api/profile';
    const authorize = (header: string) => authorizer({ type: 'TOKEN', authorizationToken: header, methodArn }, context('authorizer'));
    await expect(authorize(`Bearer ${second.accessToken}`)).resolves.toMatchObject({ principalId: userId });
    const [h, p, signature] = second.accessToken.split('.') as [string, string, string];
    const tampered = `${h}.${p}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    secrets.set('tampered access token', tampered);
    await expect(authorize(`Bearer ${tampered}`)).rejects.toThrow('Unauthorized');
    await expect(authorize(`Bearer ${second.accessToken}x`)).rejects.toThrow('Unauthorized');
    await expect(authorize(`Basic ${Buffer.from(`${EMAIL}:${PASSWORD}`).toString('base64')}`)).rejects.toThrow('Unauthorized');
    secrets.set('basic credentials', Buffer.from(`${EMAIL}:${PASSWORD}`).toString('base64'));

    const signingKey = parseSigningKey(readFileSync(join(env.keysDir, LOCAL_KEY_FILES.signingKey), 'utf8'));
    secrets.set('local private key', signingKey.privateJwk.d);
  });

  describe('the rotation function', () => {
    const SECRET_ARN = FAKE_SECRET_ARN;
    let fake: FakeSecrets;
    let close: () => Promise<void>;

    beforeAll(async () => {
      jest.resetModules();
      ({ fake, close } = await serveFakeAwsKeys());
    });

    afterAll(async () => {
      await close();
    });

    it('runs a rotation and a refused event', async () => {
      const rotate = await load<(event: unknown) => Promise<void>>('rotate-keys');
      fake.startRotation('token-1');
      for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await rotate({ SecretId: SECRET_ARN, ClientRequestToken: 'token-1', Step });
      await expect(rotate({ SecretId: `${SECRET_ARN}-other`, ClientRequestToken: 'token-2', Step: 'createSecret' })).rejects.toThrow();

      const rotated = parseSigningKey(fake.getSecretValue({ stage: 'AWSCURRENT' }).value);
      secrets.set('rotated private key', rotated.privateJwk.d).set('AWS secret access key', 'testing-secret-access-key');
    });
  });

  it('exercised every function of the stack', () => {
    expect([...exercised].sort()).toEqual(functionNames().sort());
  });

  it('wrote logs at every level it was fed, and metrics, so the search below is not vacuous', () => {
    const text = capture.text();
    const levels = new Set(capture.logLines().map((line) => line.level));

    expect([...levels].sort()).toEqual(expect.arrayContaining(['DEBUG', 'INFO', 'WARN']));
    for (const message of ['login succeeded', 'refresh token reuse: family revoked', 'request refused', 'token rejected', 'rotation step', 'password reset mail sent', 'verification mail sent', 'email verified']) {
      expect(text).toContain(message);
    }
    expect(capture.metrics().length).toBeGreaterThan(5);
  });

  it('wrote none of the secrets, anywhere', () => {
    const text = capture.text();
    expect(secrets.size).toBeGreaterThanOrEqual(15);
    for (const [what, secret] of secrets) {
      expect(secret.length).toBeGreaterThanOrEqual(8);
      expect([what, text.includes(secret)]).toEqual([what, false]);
    }
  });
});
