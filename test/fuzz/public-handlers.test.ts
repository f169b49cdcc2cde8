/**
 * Fuzzing the public route handlers (FUZZ_RUNS events each, 10,000 by
 * default), invoked directly against dynalite at bcrypt cost 4. Property:
 * the handler returns; the status is one the contract allows for the route
 * and never a 5xx; an error has exactly the contract's body; a success has
 * the route's shape; no password or hash is echoed; nothing pollutes
 * Object.prototype. The recovery and sign-in-with-a-code routes also get
 * real tokens and challenges (live, expired, superseded, outdated by a
 * reset or a deletion, used up as the run spends them) and codes (right,
 * wrong, replayed), and no token,
 * challenge, recovery code or TOTP secret of the run's accounts may appear
 * in any answer; forgot-password and resend answer every well-formed email
 * with the one same 202 body.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import fc from 'fast-check';
import type { Mail } from '../../lambdas/mail/mailer';
import { PasswordHasher } from '../../lambdas/domain/passwords';
import { EmailVerification, FORGOT_PASSWORD_ANSWER, MailQuota, PasswordRecovery, RESEND_VERIFICATION_ANSWER } from '../../lambdas/domain/recovery';
import { RefreshTokens } from '../../lambdas/domain/refresh-tokens';
import { codeAt, stepAt } from '../../lambdas/domain/totp';
import { Users } from '../../lambdas/domain/users';
import { mailConfig, passwordConfig, refreshTokenConfig } from '../../lambdas/contract/config';
import { LIMITS, LINK_PARAMETERS } from '../../lambdas/contract/settings';
import { setUpEnvironment } from '../support/environment';
import { proxyEvent, routed, withCaller } from '../support/events';
import {
  anyString,
  bodies,
  contractProblem,
  edgeString,
  events,
  FUZZ_RUNS,
  headers,
  isObject,
  isTokenPair,
  isUser,
  mostly,
  objectWith,
  pathParams,
  prototypePolluted,
  queries,
  requestContexts,
  type RouteContract,
} from './fuzz-support';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

const KNOWN = { email: 'fuzz-known@example.com', password: 'a known fuzzing passphrase' };
/** Registered up front: registering them again is 409, logging in with a wrong password counts towards their lockout. */
const TAKEN = Array.from({ length: 12 }, (_, i) => `taken-${i}@example.com`);
const NAMES = ['root', 'register', 'login', 'refresh', 'logout', 'jwks', 'forgot-password', 'reset-password', 'verify-email', 'resend-verification', 'login-mfa'] as const;
const h = {} as Record<(typeof NAMES)[number], Handler>;
/** Real refresh tokens: each refreshes once, then counts as reuse (its family is revoked). */
const refreshTokens: string[] = [];

/** Real mail tokens, each spendable once: live, superseded by a later mail, expired, or for an account since deleted. */
const resetTokens = { live: [] as string[], dead: [] as string[] };
const verifyTokens = { live: [] as string[], dead: [] as string[] };
/** Accounts with TOTP on: their secret, recovery codes and sign-in challenges (each redeemable once). */
const totpAccounts: { secret: string; recoveryCodes: string[]; challenges: string[] }[] = [];
/** Challenges that stand for nothing any more: their account's password was reset since, or the account deleted. */
const outdatedChallenges: string[] = [];
/** What no answer may ever contain. */
const secrets = new Set<string>();
/** The time-based floor of forgot-password and resend, put back after the run. */
const floorMs = LIMITS.recoveryResponseFloorMs;

beforeAll(async () => {
  const env = await setUpEnvironment();
  // The floor makes forgot-password and resend take 600 ms for every well-formed email (test/local/recovery.test.ts
  // shows it); here it would make 10,000 events 100 minutes, and the answers, not their timing, are what is fuzzed.
  Object.assign(LIMITS, { recoveryResponseFloorMs: 0 });
  for (const name of NAMES) h[name] = routed(name, ((await import(`../../lambdas/handlers/${name}`)) as { handler: Handler }).handler);
  const post = (json: unknown) => proxyEvent({ httpMethod: 'POST', json });
  for (const email of [KNOWN.email, ...TAKEN]) expect((await h.register(post({ email, password: KNOWN.password }))).statusCode).toBe(201);
  for (let i = 0; i < 20; i++) refreshTokens.push(JSON.parse((await h.login(post(KNOWN))).body).refreshToken);

  // Mail tokens minted by the domain, as the routes mint them, through a mailer that keeps the mails instead of sending them.
  const users = new Users(env.db);
  const mails: Mail[] = [];
  const mailer = { send: async (mail: Mail) => void mails.push(mail) };
  const config = { ...mailConfig(), appUrl: 'https://app.example/' };
  const passwords = passwordConfig();
  const recovery = (now: () => number) =>
    new PasswordRecovery(env.db, users, new MailQuota(env.db, config, now), mailer, new PasswordHasher(passwords.bcryptCost), new RefreshTokens(env.db, refreshTokenConfig()), { ...config, minLength: passwords.minLength }, now);
  const verification = (now: () => number) => new EmailVerification(env.db, users, new MailQuota(env.db, config, now), mailer, config, now);
  const lastToken = (parameter: string) => {
    const token = new RegExp(`#${parameter}=([A-Za-z0-9_-]+)`).exec(mails.at(-1)?.text ?? '')?.[1];
    if (!token) throw new Error(`no ${parameter} in the last mail`);
    secrets.add(token);
    return token;
  };
  const longAgo = () => Date.now() - 2 * 86_400_000;
  const account = async (prefix: string, i: number) => {
    const email = `${prefix}-${i}@example.com`;
    expect((await h.register(post({ email, password: KNOWN.password }))).statusCode).toBe(201);
    return (await users.accountByEmail(email))!;
  };
  for (let i = 0; i < 10; i++) {
    const holder = await account('reset', i);
    await recovery(Date.now).forgot(holder.email);
    resetTokens.dead.push(lastToken(LINK_PARAMETERS.passwordReset));
    await recovery(Date.now).forgot(holder.email);
    resetTokens.live.push(lastToken(LINK_PARAMETERS.passwordReset));
    const unverified = await account('verify', i);
    await verification(Date.now).send(unverified);
    verifyTokens.live.push(lastToken(LINK_PARAMETERS.emailVerification));
  }
  for (let i = 0; i < 3; i++) {
    const expired = await account('expired', i);
    await recovery(longAgo).forgot(expired.email);
    resetTokens.dead.push(lastToken(LINK_PARAMETERS.passwordReset));
    await verification(longAgo).send(expired);
    verifyTokens.dead.push(lastToken(LINK_PARAMETERS.emailVerification));
    const deleted = await account('deleted', i);
    await recovery(Date.now).forgot(deleted.email);
    resetTokens.dead.push(lastToken(LINK_PARAMETERS.passwordReset));
    await verification(Date.now).send(deleted);
    verifyTokens.dead.push(lastToken(LINK_PARAMETERS.emailVerification));
    await users.delete(deleted.id);
  }

  // TOTP accounts, enrolled and confirmed through their routes; then challenges from POST /login.
  const enrol = routed('mfa-totp-enrol', ((await import('../../lambdas/handlers/mfa-totp-enrol')) as { handler: Handler }).handler);
  const confirm = routed('mfa-totp-confirm', ((await import('../../lambdas/handlers/mfa-totp-confirm')) as { handler: Handler }).handler);
  for (let i = 0; i < 6; i++) {
    const holder = await account('totp', i);
    const { secret } = JSON.parse((await enrol(withCaller(post(undefined), holder.id, 'user'))).body) as { secret: string };
    // A code of the last step, so that a code of this one can still sign in.
    const confirmed = await confirm(withCaller(post({ code: codeAt(secret, stepAt(Date.now()) - 1) }), holder.id, 'user'));
    const { recoveryCodes } = JSON.parse(confirmed.body) as { recoveryCodes: string[] };
    const challenges: string[] = [];
    for (let j = 0; j < 8; j++) challenges.push((JSON.parse((await h.login(post({ email: holder.email, password: KNOWN.password }))).body) as { challenge: string }).challenge);
    for (const secretValue of [secret, ...recoveryCodes, ...challenges]) secrets.add(secretValue);
    if (i < 4) {
      totpAccounts.push({ secret, recoveryCodes, challenges });
    } else if (i === 4) {
      await recovery(Date.now).forgot(holder.email);
      await recovery(Date.now).reset(lastToken(LINK_PARAMETERS.passwordReset), `${KNOWN.password} reset`);
      outdatedChallenges.push(...challenges);
    } else {
      await users.delete(holder.id);
      outdatedChallenges.push(...challenges);
    }
  }
}, 60_000);

afterAll(() => {
  Object.assign(LIMITS, { recoveryResponseFloorMs: floorMs });
});

afterEach(() => {
  expect(prototypePolluted()).toBe(false);
});

const emails = fc.oneof(
  { arbitrary: fc.constantFrom(...TAKEN), weight: 3 },
  { arbitrary: fc.constantFrom(...TAKEN).map((e) => `  ${e.toUpperCase()} `), weight: 1 },
  { arbitrary: fc.emailAddress(), weight: 1 },
  { arbitrary: fc.constantFrom('no-at-sign', '@example.com', 'a@b', 'a@@b.co', 'a b@c.io', '"quoted"@example.com', 'a@[127.0.0.1]', 'ü@exämple.com', `${'a'.repeat(65)}@x.io`, `a@${'b'.repeat(250)}.io`), weight: 2 },
  { arbitrary: anyString, weight: 2 },
);
/** Known emails lock after five failures (then cost one read); new ones cost bcrypt and a counter write each. */
const loginEmails = fc.oneof(
  { arbitrary: fc.constantFrom(...TAKEN), weight: 4 },
  { arbitrary: fc.emailAddress(), weight: 1 },
  { arbitrary: fc.constantFrom('no-at-sign', '@example.com', 'a@b', 'a b@c.io', `${'a'.repeat(65)}@x.io`), weight: 2 },
  { arbitrary: anyString, weight: 3 },
);
const passwords = fc.oneof(
  { arbitrary: fc.string({ minLength: 15, maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 8, maxLength: 30 }), weight: 1 },
  { arbitrary: fc.constantFrom('password', 'passwordpassword', '123456789012345', 'qwertyuiopasdfgh', 'x'.repeat(73), 'é'.repeat(40), '\u{1F600}'.repeat(19)), weight: 1 },
  { arbitrary: fc.string({ maxLength: 14 }), weight: 1 },
  { arbitrary: edgeString, weight: 1 },
);
const refreshTokenValues = fc.oneof(
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), weight: 2 },
  // Read when generated (the pool fills in beforeAll): the first use of each rotates, the later ones are reuse.
  { arbitrary: fc.integer({ min: 0, max: 19 }).map((i) => refreshTokens[i] ?? 'not-yet'), weight: 1 },
  { arbitrary: anyString, weight: 3 },
);

/** A real token (live or dead, read when generated: the pools fill in beforeAll), one a character off, a forged one, or anything. */
function mailTokens(pool: { live: string[]; dead: string[] }): fc.Arbitrary<string> {
  const from = (list: string[]) => fc.nat().map((i) => list[i % Math.max(1, list.length)] ?? 'none-yet');
  return fc.oneof(
    { arbitrary: from(pool.live), weight: 3 },
    { arbitrary: from(pool.dead), weight: 2 },
    {
      arbitrary: fc.tuple(from(pool.live), fc.nat(42), fc.constantFrom('A', '-', '_', '=', '.', ' ', '')).map(([token, at, c]) => token.slice(0, at) + c + token.slice(at + 1)),
      weight: 1,
    },
    { arbitrary: fc.tuple(from(pool.live), fc.constantFrom(' ', '\n', '=', '==', 'A', '%3D')).map(([token, pad]) => token + pad), weight: 1 },
    { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), weight: 2 },
    { arbitrary: anyString, weight: 2 },
  );
}

/** Sign-in codes: a right one (this step, or one step of drift), a replayed or wrong one, a recovery code, or anything; each with a real challenge or not. */
const secondSteps: fc.Arbitrary<Record<string, unknown>> = (() => {
  const paired = fc
    .record({ a: fc.nat(), c: fc.nat(), kind: fc.constantFrom('code', 'code', 'code', 'recovery', 'wrong', 'both'), drift: fc.constantFrom(-1, 0, 0, 1) })
    .map(({ a, c, kind, drift }): Record<string, unknown> => {
      const account = totpAccounts[a % Math.max(1, totpAccounts.length)];
      if (!account) return {};
      const challenge = account.challenges[c % account.challenges.length];
      const code = codeAt(account.secret, stepAt(Date.now()) + (kind === 'wrong' ? 7 : drift));
      const recoveryCode = account.recoveryCodes[c % account.recoveryCodes.length]!;
      if (kind === 'recovery') return { challenge, recoveryCode: c % 3 === 0 ? recoveryCode.toUpperCase().replace('-', '') : recoveryCode };
      return kind === 'both' ? { challenge, code, recoveryCode } : { challenge, code };
    });
  const challenges = fc.oneof(
    { arbitrary: fc.nat().map((i) => totpAccounts[i % Math.max(1, totpAccounts.length)]?.challenges[i % 8] ?? 'none-yet'), weight: 2 },
    { arbitrary: fc.nat().map((i) => outdatedChallenges[i % Math.max(1, outdatedChallenges.length)] ?? 'none-yet'), weight: 1 },
    { arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), weight: 1 },
    { arbitrary: anyString, weight: 2 },
  );
  const codes = fc.oneof(fc.stringMatching(/^\d{6}$/), fc.constantFrom('000000', '123456', '999999', '12345', '1234567', ' 123456', '１２３４５６', '12345e', '-12345'), anyString);
  const recoveryCodes = fc.oneof(
    fc.nat().map((i) => totpAccounts[i % Math.max(1, totpAccounts.length)]?.recoveryCodes[i % 10] ?? 'none-yet'),
    fc.stringMatching(/^[a-z2-7]{5}-[a-z2-7]{5}$/),
    anyString,
  );
  return fc.oneof({ arbitrary: paired, weight: 2 }, { arbitrary: objectWith({ challenge: mostly(challenges, 5), code: mostly(codes, 3), recoveryCode: mostly(recoveryCodes, 3) }, 0.6), weight: 5 });
})();

/** The one body a uniform route answers with, and nothing else. */
const exactly = (answer: object) => (status: number, body: unknown) => status === 202 && JSON.stringify(body) === JSON.stringify(answer);

/** What no stored display name may contain (written independently of the handler's list): controls, bidi controls, U+FFFD, lone surrogates. */
const DISGUISING = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffd]|\p{Cs}/u;

const common = {
  headers,
  pathParameters: pathParams(anyString),
  queryStringParameters: queries(fc.record({ limit: anyString })),
  requestContext: requestContexts(fc.record({ sub: anyString, role: fc.constantFrom('user' as const, 'admin' as const) })),
};

interface Case {
  readonly name: keyof typeof h;
  readonly method: string;
  readonly path: string;
  readonly body: fc.Arbitrary<Record<string, unknown>>;
  readonly contract: RouteContract;
}

const refreshBody = objectWith({ refreshToken: mostly(refreshTokenValues, 5) });

const CASES: Case[] = [
  {
    name: 'root',
    method: 'GET',
    path: '/',
    body: objectWith({ anything: anyString }),
    contract: { statuses: [200], success: (_s, b) => isObject(b) && b.name === 'wristband' && b.status === 'ok' },
  },
  {
    name: 'register',
    method: 'POST',
    path: '/register',
    body: objectWith({ email: mostly(emails, 5), password: mostly(passwords, 5), name: mostly(fc.oneof(fc.string({ maxLength: 100 }), fc.string({ unit: 'grapheme', minLength: 90, maxLength: 120 }))) }),
    contract: {
      statuses: [201, 400, 409, 413, 415],
      success: (s, b) => s === 201 && isObject(b) && isUser(b.user) && (b.user as { role: string }).role === 'user' && !DISGUISING.test(String((b.user as { name?: unknown }).name ?? '')),
    },
  },
  {
    name: 'login',
    method: 'POST',
    path: '/login',
    // Mostly bodies that are refused before any lookup; some that reach the lockout counter and bcrypt; a few correct ones.
    body: fc.oneof(
      { arbitrary: objectWith({ email: mostly(loginEmails, 1), password: mostly(passwords, 5) }), weight: 40 },
      { arbitrary: fc.constant({ ...KNOWN }), weight: 1 },
      // An account with TOTP: the right password answers a challenge instead of tokens.
      { arbitrary: fc.constant({ email: 'totp-0@example.com', password: KNOWN.password }), weight: 1 },
    ),
    contract: {
      statuses: [200, 400, 401, 413, 415, 429],
      success: (s, b) => s === 200 && (isTokenPair(b) || (isObject(b) && Object.keys(b).length === 2 && b.mfaRequired === true && typeof b.challenge === 'string')),
    },
  },
  { name: 'refresh', method: 'POST', path: '/refresh', body: refreshBody, contract: { statuses: [200, 400, 401, 413, 415], success: (s, b) => s === 200 && isTokenPair(b) } },
  { name: 'logout', method: 'POST', path: '/logout', body: refreshBody, contract: { statuses: [204, 400, 413, 415], success: () => true } },
  {
    name: 'jwks',
    method: 'GET',
    path: '/.well-known/jwks.json',
    body: objectWith({ keys: anyString }),
    contract: {
      statuses: [200],
      success: (_s, b) => isObject(b) && Array.isArray(b.keys) && b.keys.length > 0 && b.keys.every((k: Record<string, unknown>) => k.d === undefined && typeof k.kid === 'string'),
    },
  },
  // Known and unknown emails alike: one 202 body, or 400 for an email that is not one (the same for both).
  {
    name: 'forgot-password',
    method: 'POST',
    path: '/password/forgot',
    body: objectWith({ email: mostly(emails, 5) }),
    contract: { statuses: [202, 400, 413, 415], success: exactly(FORGOT_PASSWORD_ANSWER) },
  },
  {
    name: 'resend-verification',
    method: 'POST',
    path: '/verify-email/resend',
    body: objectWith({ email: mostly(emails, 5) }),
    contract: { statuses: [202, 400, 413, 415], success: exactly(RESEND_VERIFICATION_ANSWER) },
  },
  {
    name: 'reset-password',
    method: 'POST',
    path: '/password/reset',
    body: objectWith({ token: mostly(mailTokens(resetTokens), 5), newPassword: mostly(passwords, 5) }),
    contract: { statuses: [200, 400, 401, 413, 415], success: (s, b) => s === 200 && JSON.stringify(b) === '{"passwordReset":true}' },
  },
  {
    name: 'verify-email',
    method: 'POST',
    path: '/verify-email',
    body: objectWith({ token: mostly(mailTokens(verifyTokens), 5) }),
    contract: { statuses: [200, 400, 401, 413, 415], success: (s, b) => s === 200 && JSON.stringify(b) === '{"emailVerified":true}' },
  },
  {
    name: 'login-mfa',
    method: 'POST',
    path: '/login/mfa',
    body: secondSteps,
    contract: { statuses: [200, 400, 401, 413, 415, 429], success: (s, b) => s === 200 && isTokenPair(b) },
  },
];

it.each(CASES)(`$name: ${FUZZ_RUNS} generated events, each answered within the contract`, async ({ name, method, path, body, contract }) => {
  const arbitrary = events(fc.record({ ...common, body: bodies(body) }), method, path);
  let answered = 0;
  const seen = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(arbitrary, async (event) => {
      const response = await h[name](event);
      answered += 1;
      seen.set(response?.statusCode, (seen.get(response?.statusCode) ?? 0) + 1);
      const problem =
        contractProblem(contract, event, response) ??
        (prototypePolluted() ? 'Object.prototype polluted' : undefined) ??
        ([...secrets].some((secret) => response.body.includes(secret)) ? 'a token, challenge, recovery code or TOTP secret in the answer' : undefined);
      if (problem) throw new Error(`${name}: ${problem}`);
    }),
    { numRuns: FUZZ_RUNS },
  );
  expect(answered).toBeGreaterThanOrEqual(FUZZ_RUNS);
  // The generators reach every answer the route can give without a fault: success and each refusal.
  expect({ missing: contract.statuses.filter((status) => !seen.has(status)), seen: Object.fromEntries(seen) }).toEqual({ missing: [], seen: expect.anything() });
}, 120_000);

describe('register never accepts a body that means two things or hides what it says', () => {
  const json = { 'Content-Type': 'application/json' };
  const valid = fc.record({ email: fc.emailAddress(), password: passwords, name: fc.string({ maxLength: 30 }) });
  /** Where a body goes wrong, and the answer the contract gives for it. */
  const broken = fc.oneof(
    // A member twice: the second with whitespace, \u escapes, or both.
    fc.tuple(valid, fc.constantFrom('email', 'password', 'name'), fc.boolean(), fc.constantFrom('', ' ', '\n\t')).map(([v, key, escaped, ws]) => {
      const spelt = escaped ? Array.from(key, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('') : key;
      return { body: JSON.stringify(v).replace(/}$/, `,${ws}"${spelt}"${ws}:${ws}"x"}`), isBase64Encoded: false, headers: json, code: 'validation_error' };
    }),
    // A charset other than UTF-8, in any case, quoted or not.
    fc.tuple(valid, fc.constantFrom('latin1', 'ISO-8859-1', 'utf-16', 'UTF-16LE', 'windows-1252', 'us-ascii', 'utf8', ''), fc.boolean(), fc.boolean()).map(([v, charset, quoted, upper]) => {
      const value = quoted ? `"${charset}"` : charset;
      return { body: JSON.stringify(v), isBase64Encoded: false, headers: { 'Content-Type': `application/json; ${upper ? 'CHARSET' : 'charset'}=${value}` }, code: 'unsupported_media_type' };
    }),
    // Bytes that are not UTF-8 inside a string: as API Gateway passes text (U+FFFD), or as the raw bytes in base64.
    fc.tuple(valid, fc.constantFrom([0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82]), fc.boolean()).map(([v, bad, base64]) => {
      const text = JSON.stringify(v);
      const cut = text.indexOf('"', text.indexOf('"name":"') + 8);
      const bytes = Buffer.concat([Buffer.from(text.slice(0, cut)), Buffer.from(bad), Buffer.from(text.slice(cut))]);
      return base64
        ? { body: bytes.toString('base64'), isBase64Encoded: true, headers: json, code: 'invalid_json' }
        : { body: bytes.toString('utf8'), isBase64Encoded: false, headers: json, code: 'invalid_json' };
    }),
    // A control or bidi character in the name, raw or escaped.
    fc.tuple(valid, fc.constantFrom('\u0000', '\u0007', '\u001b', '\u007f', '\u0085', '\u009b', '\u061c', '\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u2028', '\ufeff', '\ud800'), fc.nat(30)).map(([v, c, at]) => {
      const name = v.name.slice(0, at) + c + v.name.slice(at);
      return { body: JSON.stringify({ ...v, name }), isBase64Encoded: false, headers: json, code: 'validation_error' };
    }),
  );

  it(`refuses ${Math.round(FUZZ_RUNS / 10)} generated bodies with a duplicate member, a foreign charset, bytes that are not UTF-8 or a disguised name`, async () => {
    await fc.assert(
      fc.asyncProperty(broken, async ({ code, ...parts }) => {
        const response = await h.register(proxyEvent({ httpMethod: 'POST', ...parts }));
        expect([response.statusCode, JSON.parse(response.body).error]).toEqual([code === 'unsupported_media_type' ? 415 : 400, code]);
      }),
      { numRuns: Math.round(FUZZ_RUNS / 10) },
    );
  }, 120_000);
});
