/**
 * The HTTP contract (docs/api.md), route by route and error by
 * error, against the real local stack over HTTP: dynalite, file keys, the
 * same handlers and the same authorizer the stack deploys.
 */
import { createLocalJWKSet, jwtVerify, SignJWT, importJWK, decodeProtectedHeader } from 'jose';
import { join } from 'node:path';
import { FileKeyStore } from '../../lambdas/keys/key-store';
import { ROUTES } from '../../lambdas/contract/routes';
import { ADMIN, ALICE, login, startTestStack, strongPassword, uniqueEmail, type RunningStack } from '../support/local-stack';
import type { Api } from '../support/http-client';
import { loadOpenApi, openApiProblems, recording, type Exchange } from '../support/openapi-check';

let running: RunningStack;
let api: Api;
/** Every request of this file and its answer, checked against docs/openapi.json by the last test. */
const exchanges: Exchange[] = [];

beforeAll(async () => {
  running = await startTestStack();
  api = recording(running.api, exchanges);
});

afterAll(async () => {
  await running.stack.stop();
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

async function register(email = uniqueEmail(), password = strongPassword(), name?: string) {
  const response = await api('POST', '/register', { body: name === undefined ? { email, password } : { email, password, name } });
  expect(response.status).toBe(201);
  return { email, password, user: response.json.user };
}

function expectError(response: { status: number; headers: Headers; json: { error: string; message: string } }, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.json).toEqual(expect.objectContaining({ error: code, message: expect.any(String) }));
  expect(response.json.message.length).toBeGreaterThan(0);
  // Every 401 carries a Bearer challenge (RFC 9110 §11.6.1, RFC 6750 §3); an invalid token says invalid_token.
  if (status === 401) expect(response.headers.get('www-authenticate')).toBe(code === 'invalid_token' ? 'Bearer error="invalid_token"' : 'Bearer');
}

describe('GET /', () => {
  it('answers name and status with CORS headers', async () => {
    const response = await api('GET', '/');
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ name: 'wristband', status: 'ok' });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  });
});

describe('POST /register', () => {
  it('creates a user with an opaque id, normalised email and role user, and never returns the password', async () => {
    const password = strongPassword();
    const response = await api('POST', '/register', { body: { email: '  New.Person@Example.COM ', password, name: 'New Person' } });
    expect(response.status).toBe(201);
    expect(response.json).toEqual({
      user: { id: expect.stringMatching(UUID), email: 'new.person@example.com', name: 'New Person', role: 'user', createdAt: expect.stringMatching(ISO) },
    });
    expect(response.text).not.toContain(password);
    expect(response.text).not.toMatch(/\$2[aby]\$/);
  });

  it('makes name optional', async () => {
    const { user } = await register();
    expect(user).not.toHaveProperty('name');
  });

  it('refuses a role in the body instead of honouring it', async () => {
    const email = uniqueEmail();
    const response = await api('POST', '/register', { body: { email, password: strongPassword(), role: 'admin' } });
    expectError(response, 400, 'validation_error');
    expect(response.json.details).toEqual([{ field: 'role', message: expect.any(String) }]);
    // And nothing was created.
    expectError(await api('POST', '/login', { body: { email, password: strongPassword() } }), 401, 'invalid_credentials');
  });

  it('answers 409 email_taken for an existing email in any case', async () => {
    const { email } = await register();
    const response = await api('POST', '/register', { body: { email: email.toUpperCase(), password: strongPassword() } });
    expectError(response, 409, 'email_taken');
  });

  it.each([
    ['missing email', { password: 'correct-horse-battery-staple' }, 'email'],
    ['email not an address', { email: 'not-an-email', password: 'correct-horse-battery-staple' }, 'email'],
    ['email longer than 254', { email: `${'a'.repeat(60)}@${'b'.repeat(190)}.example.com`, password: 'correct-horse-battery-staple' }, 'email'],
    ['email not a string', { email: 42, password: 'correct-horse-battery-staple' }, 'email'],
    ['password too short', { email: 'short@example.com', password: 'short-pass' }, 'password'],
    ['password of one typed character that NFKC expands to 18 (U+FDFA)', { email: 'ligature@example.com', password: '\uFDFA' }, 'password'],
    ['password of 11 typed characters that NFKC makes 18 (ligatures such as U+FB00 ff)', { email: 'ff@example.com', password: `${'\uFB00'.repeat(6)}q7#\uFB01k` }, 'password'],
    ['password over 72 bytes', { email: 'long@example.com', password: 'é'.repeat(37) }, 'password'],
    ['common password', { email: 'common@example.com', password: 'passwordpassword' }, 'password'],
    ['common password in another case', { email: 'common2@example.com', password: 'QAZWSXEDCRFVTGB' }, 'password'],
    ['name over 100 characters', { email: 'named@example.com', password: 'correct-horse-battery-staple', name: 'n'.repeat(101) }, 'name'],
    ['unknown field', { email: 'extra@example.com', password: 'correct-horse-battery-staple', admin: true }, 'admin'],
  ])('refuses %s with 400 validation_error naming the field', async (_case, body, field) => {
    const response = await api('POST', '/register', { body });
    expectError(response, 400, 'validation_error');
    expect(response.json.details).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
  });

  it('accepts exactly 72 bytes and exactly the minimum length', async () => {
    await register(uniqueEmail(), 'x'.repeat(72));
    await register(uniqueEmail(), 'q7-unusual-pw!!'); // 15 characters
    await register(uniqueEmail(), 'q7-unusual-pw!\uFB00'); // 15 typed, 16 after NFKC
  });

  it('counts the minimum on what was typed: one character that NFKC expands is refused as too short', async () => {
    const response = await api('POST', '/register', { body: { email: uniqueEmail(), password: '\uFDFA' } });
    expectError(response, 400, 'validation_error');
    expect(response.json.details).toEqual([{ field: 'password', message: 'must be at least 15 characters' }]);
  });

  it('refuses a body that is not JSON with 400 invalid_json', async () => {
    const response = await api('POST', '/register', { raw: '{"email":', headers: { 'Content-Type': 'application/json' } });
    expectError(response, 400, 'invalid_json');
  });

  it('refuses a JSON array or scalar body with 400 validation_error', async () => {
    expectError(await api('POST', '/register', { body: [1, 2] }), 400, 'validation_error');
    expectError(await api('POST', '/register', { body: 'text' }), 400, 'validation_error');
    expectError(await api('POST', '/register', { body: null }), 400, 'validation_error');
  });

  it('refuses another media type with 415 and accepts a charset parameter', async () => {
    const body = JSON.stringify({ email: uniqueEmail(), password: strongPassword() });
    expectError(await api('POST', '/register', { raw: body, headers: { 'Content-Type': 'text/plain' } }), 415, 'unsupported_media_type');
    expectError(await api('POST', '/register', { raw: body, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type');
    const ok = await api('POST', '/register', { raw: body, headers: { 'Content-Type': 'Application/JSON; charset=UTF-8' } });
    expect(ok.status).toBe(201);
  });

  it('refuses a body over 16 KiB with 413 payload_too_large', async () => {
    const response = await api('POST', '/register', { body: { email: uniqueEmail(), password: strongPassword(), name: 'x'.repeat(16 * 1024) } });
    expectError(response, 413, 'payload_too_large');
  });

  it('refuses an empty body with 400', async () => {
    expectError(await api('POST', '/register', { headers: { 'Content-Type': 'application/json' } }), 400, 'validation_error');
  });

  it.each([
    ['a repeated member', (email: string, password: string) => `{"email":"${email}","password":"${password}","name":"a","name":"b"}`, 'name'],
    ['a repeated member spelt with an escape', (email: string, password: string) => `{"email":"${email}","password":"${password}","\\u0065mail":"x@example.com"}`, 'email'],
  ])('refuses %s with 400 validation_error naming the field', async (_case, body, field) => {
    const email = uniqueEmail();
    const response = await api('POST', '/register', { raw: body(email, strongPassword()), headers: { 'Content-Type': 'application/json' } });
    expectError(response, 400, 'validation_error');
    expect(response.json.details).toEqual([{ field, message: 'appears more than once' }]);
    // Nothing was created: the same email registers afterwards.
    await register(email);
  });

  it.each(['application/json; charset=latin1', 'application/json; charset="ISO-8859-1"', 'application/json;charset=UTF-16'])(
    'refuses Content-Type %s with 415 unsupported_media_type',
    async (type) => {
      const body = JSON.stringify({ email: uniqueEmail(), password: strongPassword() });
      expectError(await api('POST', '/register', { raw: body, headers: { 'Content-Type': type } }), 415, 'unsupported_media_type');
    },
  );

  it('accepts charset=UTF-8 quoted and in any case', async () => {
    const body = JSON.stringify({ email: uniqueEmail(), password: strongPassword() });
    expect((await api('POST', '/register', { raw: body, headers: { 'Content-Type': 'application/json; CHARSET="Utf-8"' } })).status).toBe(201);
  });

  it('refuses a body that is not UTF-8 with 400 invalid_json, instead of storing U+FFFD', async () => {
    const email = uniqueEmail();
    const head = Buffer.from(`{"email":"${email}","password":"${strongPassword()}","name":"`);
    const raw = Buffer.concat([head, Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    expectError(await api('POST', '/register', { raw, headers: { 'Content-Type': 'application/json' } }), 400, 'invalid_json');
    await register(email);
  });

  it.each([
    ['a C0 control', 'Eve\u0000'],
    ['a C1 control', 'Eve\u0085'],
    ['a right-to-left override', 'Eve\u202egnp.exe'],
    ['a left-to-right mark', '\u200eAdmin'],
    ['a bidi isolate', 'Eve\u2066x\u2069'],
    ['a lone surrogate', 'Eve\ud800'],
  ])('refuses %s in name with 400 validation_error naming the field', async (_case, name) => {
    // JSON.stringify escapes the C0 control and the lone surrogate (\u0000, \ud800) and sends the others as UTF-8.
    const response = await api('POST', '/register', { body: { email: uniqueEmail(), password: strongPassword(), name } });
    expectError(response, 400, 'validation_error');
    expect(response.json.details).toEqual([{ field: 'name', message: expect.stringContaining('control or bidirectional') }]);
  });

  it('keeps names in any script, with emoji and joiners', async () => {
    const name = 'Zoë 李 \u0645\u0631\u064a\u0645 \ud83d\udc68\u200d\ud83d\udc69\u200d\ud83d\udc67';
    const response = await api('POST', '/register', { raw: `{"email":"${uniqueEmail()}","password":"${strongPassword()}","name":"${name}"}`, headers: { 'Content-Type': 'application/json' } });
    expect(response.status).toBe(201);
    expect(response.json.user.name).toBe(JSON.parse(`"${name}"`));
  });
});

describe('POST /login', () => {
  it('returns a TokenPair whose access token is an ES256 at+jwt with the contract claims', async () => {
    const response = await api('POST', '/login', { body: ALICE });
    expect(response.status).toBe(200);
    expect(response.json).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900 });
    expect(response.json.refreshToken.length).toBeGreaterThanOrEqual(43); // 256 bits, base64url
    const header = decodeProtectedHeader(response.json.accessToken);
    expect(header).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
    const claims = JSON.parse(Buffer.from(response.json.accessToken.split('.')[1], 'base64url').toString());
    expect(Object.keys(claims).sort()).toEqual(['amr', 'aud', 'email_verified', 'exp', 'iat', 'iss', 'jti', 'role', 'sub']);
    expect(claims.amr).toEqual(['pwd']);
    // Alice is a demo account: verified.
    expect(claims.email_verified).toBe(true);
    expect(claims.exp - claims.iat).toBe(900);
    expect(claims.role).toBe('user');
  });

  it('matches the email case-insensitively', async () => {
    const response = await api('POST', '/login', { body: { email: 'ALICE@example.com ', password: ALICE.password } });
    expect(response.status).toBe(200);
  });

  it('gives an unknown email and a wrong password the same status and body', async () => {
    const { email } = await register();
    const wrong = await api('POST', '/login', { body: { email, password: 'wrong-password-entirely' } });
    const unknown = await api('POST', '/login', { body: { email: uniqueEmail('nobody'), password: 'wrong-password-entirely' } });
    expectError(wrong, 401, 'invalid_credentials');
    expect(unknown.status).toBe(wrong.status);
    expect(unknown.text).toBe(wrong.text);
  });

  it('refuses a missing password with 400', async () => {
    expectError(await api('POST', '/login', { body: { email: 'a@example.com' } }), 400, 'validation_error');
  });

  it('locks an email after 5 consecutive failures with 429 and Retry-After, even for the right password', async () => {
    const { email, password } = await register();
    for (let i = 0; i < 5; i++) {
      expectError(await api('POST', '/login', { body: { email, password: `wrong-${i}-password` } }), 401, 'invalid_credentials');
    }
    const locked = await api('POST', '/login', { body: { email, password } });
    expectError(locked, 429, 'too_many_attempts');
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(800);
    expect(retryAfter).toBeLessThanOrEqual(900);
  });

  it('locks unknown emails the same way, so lockout reveals nothing', async () => {
    const email = uniqueEmail('ghost');
    for (let i = 0; i < 5; i++) await api('POST', '/login', { body: { email, password: 'wrong-password-entirely' } });
    expectError(await api('POST', '/login', { body: { email, password: 'wrong-password-entirely' } }), 429, 'too_many_attempts');
  });

  it('lets the right password in below the limit, and a success never forgives the failures of the window', async () => {
    const { email, password } = await register();
    for (let i = 0; i < 4; i++) await api('POST', '/login', { body: { email, password: 'wrong-password-entirely' } });
    expect((await api('POST', '/login', { body: { email, password } })).status).toBe(200);
    expect((await api('POST', '/login', { body: { email, password } })).status).toBe(200);
    // The successes gave back their own attempts only: the fifth failure of the window locks.
    expectError(await api('POST', '/login', { body: { email, password: 'wrong-password-entirely' } }), 401, 'invalid_credentials');
    expectError(await api('POST', '/login', { body: { email, password } }), 429, 'too_many_attempts');
  });
});

describe('POST /refresh', () => {
  it('rotates: a new pair, and the old refresh token is single use', async () => {
    const first = await login(api, ALICE.email, ALICE.password);
    const second = await api('POST', '/refresh', { body: { refreshToken: first.refreshToken } });
    expect(second.status).toBe(200);
    expect(second.json).toEqual({ accessToken: expect.any(String), refreshToken: expect.any(String), tokenType: 'Bearer', expiresIn: 900 });
    expect(second.json.refreshToken).not.toBe(first.refreshToken);
    const third = await api('POST', '/refresh', { body: { refreshToken: second.json.refreshToken } });
    expect(third.status).toBe(200);
  });

  it('revokes the whole family when a used token is presented again', async () => {
    const first = await login(api, ALICE.email, ALICE.password);
    const second = await api('POST', '/refresh', { body: { refreshToken: first.refreshToken } });
    const third = await api('POST', '/refresh', { body: { refreshToken: second.json.refreshToken } });
    // first's successor is used already, so the reuse interval does not cover it (test/local/refresh-reuse-interval.test.ts).
    expectError(await api('POST', '/refresh', { body: { refreshToken: first.refreshToken } }), 401, 'invalid_token');
    // The newest token of the family fails too.
    expectError(await api('POST', '/refresh', { body: { refreshToken: third.json.refreshToken } }), 401, 'invalid_token');
    // Other sessions of the same user are untouched.
    const other = await login(api, ALICE.email, ALICE.password);
    expect((await api('POST', '/refresh', { body: { refreshToken: other.refreshToken } })).status).toBe(200);
  });

  it('answers an unknown or malformed token with 401 invalid_token', async () => {
    expectError(await api('POST', '/refresh', { body: { refreshToken: 'A'.repeat(43) } }), 401, 'invalid_token');
    expectError(await api('POST', '/refresh', { body: { refreshToken: 'not a token' } }), 401, 'invalid_token');
  });

  it('refuses a missing or non-string token with 400', async () => {
    expectError(await api('POST', '/refresh', { body: {} }), 400, 'validation_error');
    expectError(await api('POST', '/refresh', { body: { refreshToken: 123 } }), 400, 'validation_error');
  });

  it('reads the user again: a changed role shows in the new access token', async () => {
    const { email, password, user } = await register();
    const session = await login(api, email, password);
    const admin = await login(api, ADMIN.email, ADMIN.password);
    expect((await api('PUT', `/api/users/${user.id}/role`, { token: admin.accessToken, body: { role: 'admin' } })).status).toBe(200);
    // The old access token keeps its role until it expires (stateless by design)...
    expect((await api('GET', '/api/admin', { token: session.accessToken })).status).toBe(403);
    // ...the refreshed one carries the new role.
    const refreshed = await api('POST', '/refresh', { body: { refreshToken: session.refreshToken } });
    expect((await api('GET', '/api/admin', { token: refreshed.json.accessToken })).status).toBe(200);
  });
});

describe('POST /logout', () => {
  it('revokes the family and answers 204 with no body', async () => {
    const session = await login(api, ALICE.email, ALICE.password);
    const response = await api('POST', '/logout', { body: { refreshToken: session.refreshToken } });
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expectError(await api('POST', '/refresh', { body: { refreshToken: session.refreshToken } }), 401, 'invalid_token');
  });

  it('answers 204 for unknown and already revoked tokens', async () => {
    expect((await api('POST', '/logout', { body: { refreshToken: 'B'.repeat(43) } })).status).toBe(204);
    expect((await api('POST', '/logout', { body: { refreshToken: 'garbage' } })).status).toBe(204);
    const session = await login(api, ALICE.email, ALICE.password);
    await api('POST', '/logout', { body: { refreshToken: session.refreshToken } });
    expect((await api('POST', '/logout', { body: { refreshToken: session.refreshToken } })).status).toBe(204);
  });

  it('refuses a missing token with 400', async () => {
    expectError(await api('POST', '/logout', { body: {} }), 400, 'validation_error');
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('publishes public keys only, and a standard library verifies our tokens with them', async () => {
    const response = await api('GET', '/.well-known/jwks.json');
    expect(response.status).toBe(200);
    expect(response.json.keys.length).toBeGreaterThan(0);
    for (const key of response.json.keys) {
      expect(key).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: expect.any(String), alg: 'ES256', use: 'sig' });
    }
    const { accessToken } = await login(api, ALICE.email, ALICE.password);
    const { payload, protectedHeader } = await jwtVerify(accessToken, createLocalJWKSet(response.json), {
      issuer: 'wristband',
      audience: 'wristband-api',
      typ: 'at+jwt',
      algorithms: ['ES256'],
    });
    expect(protectedHeader.alg).toBe('ES256');
    expect(payload.role).toBe('user');
  });
});

describe('protected routes and the authorizer', () => {
  it('GET /api/profile returns the caller', async () => {
    const { accessToken } = await login(api, ALICE.email, ALICE.password);
    const response = await api('GET', '/api/profile', { token: accessToken });
    expect(response.status).toBe(200);
    expect(response.json.user).toEqual(expect.objectContaining({ email: ALICE.email, role: 'user', id: expect.stringMatching(UUID) }));
  });

  it('keeps a cached policy right for every route: profile 200, admin 403, profile 200', async () => {
    const { accessToken } = await login(api, ALICE.email, ALICE.password);
    expect((await api('GET', '/api/profile', { token: accessToken })).status).toBe(200);
    expectError(await api('GET', '/api/admin', { token: accessToken }), 403, 'forbidden');
    expect((await api('GET', '/api/profile', { token: accessToken })).status).toBe(200);
    expectError(await api('GET', '/api/users', { token: accessToken }), 403, 'forbidden');
  });

  it('caches the authorizer decision per token, as API Gateway does', async () => {
    const { accessToken } = await login(api, ALICE.email, ALICE.password);
    const before = { ...running.stack.gateway.stats };
    for (const path of ['/api/profile', '/api/orders', '/api/admin', '/api/profile']) await api('GET', path, { token: accessToken });
    expect(running.stack.gateway.stats.authorizerInvocations - before.authorizerInvocations).toBe(1);
    expect(running.stack.gateway.stats.authorizerCacheHits - before.authorizerCacheHits).toBe(3);
  });

  it('matches the scheme word case-insensitively', async () => {
    const { accessToken } = await login(api, ALICE.email, ALICE.password);
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expect((await api('GET', '/api/profile', { headers: { Authorization: `${scheme} ${accessToken}` } })).status).toBe(200);
    }
  });

  it.each([
    ['no header', undefined],
    ['empty header', ''],
    ['no scheme', '%TOKEN%'],
    ['Basic scheme', 'Basic YWxpY2U6cGFzcw=='],
    ['scheme twice', 'Bearer Bearer %TOKEN%'],
    ['tab instead of space', 'Bearer\t%TOKEN%'],
    ['two spaces', 'Bearer  %TOKEN%'],
    ['missing space', 'Bearer%TOKEN%'],
    ['garbage token', 'Bearer not.a.jwt'],
    ['tampered payload', '%TAMPERED%'],
  ])('answers 401 for %s', async (_case, header) => {
    const { accessToken } = await login(api, ALICE.email, ALICE.password);
    const [h, p, s] = accessToken.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tampered = `Bearer ${h}.${Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url')}.${s}`;
    const value = header?.replace('%TOKEN%', accessToken).replace('%TAMPERED%', tampered);
    const response = await api('GET', '/api/admin', value === undefined ? {} : { headers: { Authorization: value } });
    expect(response.status).toBe(401);
    expect(['unauthorized', 'invalid_token']).toContain(response.json.error);
    // API Gateway's one UNAUTHORIZED response answers both a missing and a bad token: no error code (RFC 6750 §3.1).
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('answers 401 for an expired token signed by the stack key', async () => {
    const key = await new FileKeyStore(join(running.dataDir, 'keys')).loadSigningKey();
    const now = Math.floor(Date.now() / 1000);
    const expired = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: key.kid })
      .setIssuer('wristband')
      .setAudience('wristband-api')
      .setSubject('00000000-0000-4000-8000-000000000000')
      .setJti('x')
      .setIssuedAt(now - 1000)
      .setExpirationTime(now - 60)
      .sign(await importJWK(key.privateJwk, 'ES256'));
    expectError(await api('GET', '/api/admin', { token: expired }), 401, 'unauthorized');
  });

  it('puts CORS headers on gateway errors', async () => {
    const response = await api('GET', '/api/profile');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('lets a browser read Retry-After and WWW-Authenticate on every kind of answer (Access-Control-Expose-Headers)', async () => {
    const locked = uniqueEmail();
    for (let i = 0; i < 5; i++) await api('POST', '/login', { body: { email: locked, password: 'wrong' } });
    const answers = [
      await api('GET', '/'), // a handler's success
      await api('POST', '/login', { body: { email: locked, password: 'wrong' } }), // a handler's 429 with Retry-After
      await api('GET', '/api/profile'), // the gateway's 401
      await api('GET', '/nope'), // the gateway's 404
    ];
    expect(answers[1]?.headers.get('retry-after')).toMatch(/^\d+$/);
    for (const response of answers) {
      const exposed = (response.headers.get('access-control-expose-headers') ?? '').split(',').map((h) => h.trim().toLowerCase());
      expect(exposed).toEqual(expect.arrayContaining(['retry-after', 'www-authenticate']));
    }
  });
});

describe('orders', () => {
  it('POST /api/orders stores an order; GET lists only the caller\'s, newest first', async () => {
    const a = await register();
    const b = await register();
    const tokenA = (await login(api, a.email, a.password)).accessToken;
    const tokenB = (await login(api, b.email, b.password)).accessToken;
    const first = await api('POST', '/api/orders', { token: tokenA, body: { items: [{ sku: 'tee-black-m', quantity: 2 }] } });
    expect(first.status).toBe(201);
    expect(first.json).toEqual({
      order: { id: expect.stringMatching(UUID), userId: a.user.id, items: [{ sku: 'tee-black-m', quantity: 2 }], createdAt: expect.stringMatching(ISO) },
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await api('POST', '/api/orders', { token: tokenA, body: { items: [{ sku: 'mug', quantity: 1 }, { sku: 'cap', quantity: 3 }] } });
    await api('POST', '/api/orders', { token: tokenB, body: { items: [{ sku: 'other', quantity: 1 }] } });
    const list = await api('GET', '/api/orders', { token: tokenA });
    expect(list.status).toBe(200);
    expect(list.json.orders.map((o: { id: string }) => o.id)).toEqual([second.json.order.id, first.json.order.id]);
  });

  it.each([
    ['no items', { items: [] }, 'items'],
    ['51 items', { items: Array.from({ length: 51 }, () => ({ sku: 'a', quantity: 1 })) }, 'items'],
    ['quantity 0', { items: [{ sku: 'a', quantity: 0 }] }, 'items[0].quantity'],
    ['quantity 1001', { items: [{ sku: 'a', quantity: 1001 }] }, 'items[0].quantity'],
    ['fractional quantity', { items: [{ sku: 'a', quantity: 1.5 }] }, 'items[0].quantity'],
    ['quantity as string', { items: [{ sku: 'a', quantity: '2' }] }, 'items[0].quantity'],
    ['empty sku', { items: [{ sku: '', quantity: 1 }] }, 'items[0].sku'],
    ['sku of 65 characters', { items: [{ sku: 's'.repeat(65), quantity: 1 }] }, 'items[0].sku'],
    ['unknown item field', { items: [{ sku: 'a', quantity: 1, price: 0 }] }, 'items[0].price'],
    ['items not an array', { items: 'a' }, 'items'],
  ])('refuses %s with 400 naming the field', async (_case, body, field) => {
    const { accessToken } = await login(api, ALICE.email, ALICE.password);
    const response = await api('POST', '/api/orders', { token: accessToken, body });
    expectError(response, 400, 'validation_error');
    expect(response.json.details).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
  });

  it('accepts the bounds: 50 items, quantity 1000, a 64-character sku', async () => {
    const { accessToken } = await login(api, ALICE.email, ALICE.password);
    const items = Array.from({ length: 50 }, (_, i) => ({ sku: i === 0 ? 's'.repeat(64) : `sku-${i}`, quantity: i === 0 ? 1000 : 1 }));
    expect((await api('POST', '/api/orders', { token: accessToken, body: { items } })).status).toBe(201);
  });

  it('requires a token', async () => {
    expectError(await api('POST', '/api/orders', { body: { items: [{ sku: 'a', quantity: 1 }] } }), 401, 'unauthorized');
  });
});

describe('admin routes', () => {
  it('GET /api/admin answers admins', async () => {
    const { accessToken } = await login(api, ADMIN.email, ADMIN.password);
    const response = await api('GET', '/api/admin', { token: accessToken });
    expect(response.status).toBe(200);
    expect(response.json.message).toBe('Admin dashboard');
  });

  it('GET /api/users pages through users with limit and cursor', async () => {
    for (let i = 0; i < 3; i++) await register();
    const { accessToken } = await login(api, ADMIN.email, ADMIN.password);
    const seen = new Set<string>();
    let cursor: string | undefined;
    let pages = 0;
    do {
      const response = await api('GET', `/api/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { token: accessToken });
      expect(response.status).toBe(200);
      expect(response.json.users.length).toBeLessThanOrEqual(2);
      for (const user of response.json.users) {
        expect(user).toEqual(expect.objectContaining({ id: expect.stringMatching(UUID), email: expect.any(String), role: expect.any(String) }));
        expect(user).not.toHaveProperty('passwordHash');
        seen.add(user.id);
      }
      cursor = response.json.nextCursor;
      pages++;
    } while (cursor && pages < 100);
    const all = await api('GET', '/api/users?limit=100', { token: accessToken });
    expect(seen.size).toBe(all.json.users.length);
    expect(seen.size).toBeGreaterThanOrEqual(5);
  });

  it.each([['limit=0'], ['limit=101'], ['limit=abc'], ['limit=-1'], ['cursor=!!!'], ['cursor=eyJhIjoxfQ']])('refuses ?%s with 400', async (query) => {
    const { accessToken } = await login(api, ADMIN.email, ADMIN.password);
    expectError(await api('GET', `/api/users?${query}`, { token: accessToken }), 400, 'validation_error');
  });

  it('PUT /api/users/{id}/role changes a role; bad role 400; unknown id 404', async () => {
    const { user } = await register();
    const { accessToken } = await login(api, ADMIN.email, ADMIN.password);
    const changed = await api('PUT', `/api/users/${user.id}/role`, { token: accessToken, body: { role: 'admin' } });
    expect(changed.status).toBe(200);
    expect(changed.json.user).toEqual({ ...user, role: 'admin' });
    expectError(await api('PUT', `/api/users/${user.id}/role`, { token: accessToken, body: { role: 'root' } }), 400, 'validation_error');
    expectError(await api('PUT', '/api/users/00000000-0000-4000-8000-000000000000/role', { token: accessToken, body: { role: 'user' } }), 404, 'not_found');
    expectError(await api('PUT', '/api/users/not-an-id/role', { token: accessToken, body: { role: 'user' } }), 404, 'not_found');
  });

  it('DELETE /api/users/{id}: 204, then their token gets 404 on profile and their refresh token 401', async () => {
    const victim = await register();
    const session = await login(api, victim.email, victim.password);
    await api('POST', '/api/orders', { token: session.accessToken, body: { items: [{ sku: 'a', quantity: 1 }] } });
    const { accessToken } = await login(api, ADMIN.email, ADMIN.password);
    const deleted = await api('DELETE', `/api/users/${victim.user.id}`, { token: accessToken });
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expectError(await api('GET', '/api/profile', { token: session.accessToken }), 404, 'not_found');
    expectError(await api('POST', '/refresh', { body: { refreshToken: session.refreshToken } }), 401, 'invalid_token');
    expectError(await api('POST', '/api/orders', { token: session.accessToken, body: { items: [{ sku: 'a', quantity: 1 }] } }), 404, 'not_found');
    expectError(await api('DELETE', `/api/users/${victim.user.id}`, { token: accessToken }), 404, 'not_found');
    expectError(await api('DELETE', '/api/users/00000000-0000-4000-8000-000000000000', { token: accessToken }), 404, 'not_found');
    // The email is free again, for a new account with a new id.
    const again = await register(victim.email);
    expect(again.user.id).not.toBe(victim.user.id);
  });

  /** A fresh admin (registered, promoted by the demo admin), logged in: their token says `admin`. */
  async function secondAdmin() {
    const { user, email, password } = await register();
    const { accessToken: root } = await login(api, ADMIN.email, ADMIN.password);
    expect((await api('PUT', `/api/users/${user.id}/role`, { token: root, body: { role: 'admin' } })).status).toBe(200);
    const session = await login(api, email, password);
    expect(JSON.parse(Buffer.from(session.accessToken.split('.')[1]!, 'base64url').toString()).role).toBe('admin');
    return { user, session, root };
  }

  it('re-reads the caller: a demoted admin\'s still-valid token gets 403 on every route that changes or reveals accounts', async () => {
    const { user, session, root } = await secondAdmin();
    const { user: accomplice } = await register();
    expect((await api('GET', '/api/users', { token: session.accessToken })).status).toBe(200);
    expect((await api('PUT', `/api/users/${user.id}/role`, { token: root, body: { role: 'user' } })).status).toBe(200);

    expectError(await api('GET', '/api/users', { token: session.accessToken }), 403, 'forbidden');
    // Re-promoting himself (which the next refresh would carry) or anyone else is refused.
    expectError(await api('PUT', `/api/users/${user.id}/role`, { token: session.accessToken, body: { role: 'admin' } }), 403, 'forbidden');
    expectError(await api('PUT', `/api/users/${accomplice.id}/role`, { token: session.accessToken, body: { role: 'admin' } }), 403, 'forbidden');
    expectError(await api('DELETE', `/api/users/${accomplice.id}`, { token: session.accessToken }), 403, 'forbidden');
    expectError(await api('DELETE', `/api/users/${accomplice.id}/sessions`, { token: session.accessToken }), 403, 'forbidden');
    const refreshed = await api('POST', '/refresh', { body: { refreshToken: session.refreshToken } });
    expect(JSON.parse(Buffer.from(refreshed.json.accessToken.split('.')[1], 'base64url').toString()).role).toBe('user');
    const rootView = await api('GET', '/api/users?limit=100', { token: root });
    expect(rootView.json.users.find((u: { id: string }) => u.id === accomplice.id)).toEqual(expect.objectContaining({ role: 'user' }));
  });

  it('re-reads the caller: a deleted admin\'s still-valid token gets 401 on every route that changes or reveals accounts', async () => {
    const { user, session, root } = await secondAdmin();
    const { user: accomplice } = await register();
    expect((await api('DELETE', `/api/users/${user.id}`, { token: root })).status).toBe(204);

    expectError(await api('GET', '/api/users', { token: session.accessToken }), 401, 'invalid_token');
    expectError(await api('PUT', `/api/users/${accomplice.id}/role`, { token: session.accessToken, body: { role: 'admin' } }), 401, 'invalid_token');
    expectError(await api('DELETE', `/api/users/${accomplice.id}`, { token: session.accessToken }), 401, 'invalid_token');
    expectError(await api('DELETE', `/api/users/${accomplice.id}/sessions`, { token: session.accessToken }), 401, 'invalid_token');
    const rootView = await api('GET', '/api/users?limit=100', { token: root });
    expect(rootView.json.users.find((u: { id: string }) => u.id === accomplice.id)).toEqual(expect.objectContaining({ role: 'user' }));
  });

  it('is forbidden to users on every admin route', async () => {
    const { accessToken } = await login(api, ALICE.email, ALICE.password);
    const id = '00000000-0000-4000-8000-000000000000';
    expectError(await api('GET', '/api/users', { token: accessToken }), 403, 'forbidden');
    expectError(await api('PUT', `/api/users/${id}/role`, { token: accessToken, body: { role: 'admin' } }), 403, 'forbidden');
    expectError(await api('DELETE', `/api/users/${id}`, { token: accessToken }), 403, 'forbidden');
    expectError(await api('DELETE', `/api/users/${id}/sessions`, { token: accessToken }), 403, 'forbidden');
  });
});

describe('the gateway itself', () => {
  it.each([
    ['GET', '/nope'],
    ['GET', '/api'],
    ['GET', '/api/users/x'],
    ['DELETE', '/login'],
    ['PATCH', '/api/profile'],
    ['GET', '/register'],
  ])('answers %s %s with 404 not_found', async (method, path) => {
    const response = await api(method, path);
    expectError(response, 404, 'not_found');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('answers CORS preflight on every route', async () => {
    for (const route of ROUTES) {
      const response = await api('OPTIONS', route.path.replace('{id}', 'x'));
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-methods')).toContain(route.method);
      expect(response.headers.get('access-control-allow-headers')).toContain('Authorization');
    }
  });
});

describe('GET /openapi.json and GET /.well-known/openid-configuration', () => {
  it('serves the OpenAPI 3.1 document, the same as docs/openapi.json', async () => {
    const response = await api('GET', '/openapi.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.json).toEqual(loadOpenApi());
    expect(response.json.openapi).toBe('3.1.0');
  });

  it('serves discovery metadata: the tokens\' issuer, this API\'s JWKS URL and ES256', async () => {
    const response = await api('GET', '/.well-known/openid-configuration');
    expect(response.status).toBe(200);
    expect(response.json).toEqual(
      expect.objectContaining({
        issuer: 'wristband',
        jwks_uri: `${running.stack.url}/.well-known/jwks.json`,
        id_token_signing_alg_values_supported: ['ES256'],
        subject_types_supported: ['public'],
      }),
    );
    expect((await api('GET', new URL(response.json.jwks_uri).pathname)).json.keys.length).toBeGreaterThan(0);
  });
});

// Last: it reads what every test above sent and got.
describe('the OpenAPI document', () => {
  it('describes every request this file made and every answer it got (status, body schema)', () => {
    expect(exchanges.length).toBeGreaterThan(100);
    expect(openApiProblems(loadOpenApi(), exchanges)).toEqual([]);
  });
});
