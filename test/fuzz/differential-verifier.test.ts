/**
 * Differential fuzzing of the hand-written verifier: generated tokens
 * (valid ones, and mutations of the header, the payload, the signature and
 * the encoding, signed with the real key or a wrong one) are judged by
 * wristband's AccessTokenVerifier and by two references, jose's `jwtVerify`
 * and aws-jwt-verify's `JwtVerifier`, configured the way a plain user of
 * each would: the same published JWKS, issuer, audience, ES256 and clock
 * tolerance, on one frozen clock.
 *
 * The property: wristband never accepts a token that either reference
 * refuses. It may refuse more, but only for the reasons listed in
 * EXTRA_REFUSALS (docs/security.md › Differential fuzzing says why each is
 * ours alone); an extra refusal for any other reason fails the test too.
 */
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { JwtVerifier } from 'aws-jwt-verify';
import fc from 'fast-check';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { generateSigningKey, publicJwkOf, type SigningKeyRecord } from '../../lambdas/keys/key-set';
import { PublicKeyRing } from '../../lambdas/keys/public-key-ring';
import type { TokenConfig } from '../../lambdas/contract/config';
import { InvalidTokenError } from '../../lambdas/contract/errors';
import { AccessTokenVerifier, lowSSignature } from '../../lambdas/tokens/access-token-verifier';

/** A few seconds in `npm test`; DIFF_FUZZ_RUNS raises it for a deeper local run. */
const RUNS = Math.max(1500, Number(process.env.DIFF_FUZZ_RUNS ?? 0) || 0);

const CONFIG: TokenConfig = {
  issuer: 'https://wristband.test',
  audience: 'wristband-api',
  accessTokenTtlSeconds: 900,
  refreshTokenTtlSeconds: 3600,
  clockToleranceSeconds: 5,
};
const NOW = 1_750_000_000;
const NOW_MS = NOW * 1000;

/**
 * Reasons wristband refuses tokens the references accept, each a rule of
 * its own that no reference configured as above checks (why: docs/security.md).
 */
const EXTRA_REFUSALS = new Set([
  'high_s', // one spelling per token: (r, n - s) is refused
  'malformed', // canonical base64url only, no BOM, the 4 KiB limit, exactly a 64-byte signature
  'duplicate_member', // RFC 8725 3.7
  'header_member_not_allowed', // exactly alg, typ, kid
  'typ_not_allowed', // RFC 9068: at+jwt
  'no_kid', // keys only by kid
  'claim_iat', // required, a number, not ahead of now + tolerance
  'claim_exp', // required, within one lifetime of now and of iat
  'claim_sub',
  'claim_jti',
  'expired', // exp == now - tolerance: exp is the first instant the token is invalid (RFC 7519 4.1.4)
  'bad_sub',
  'bad_role',
  'bad_jti',
]);

let ours: SigningKeyRecord;
let ourKey: KeyObject;
let attacker: SigningKeyRecord;
let attackerKey: KeyObject;
let wristband: AccessTokenVerifier;
let joseKeys: ReturnType<typeof createLocalJWKSet>;
let aws: ReturnType<typeof JwtVerifier.create>;
let dateNow: jest.SpyInstance<number, []>;

beforeAll(async () => {
  ours = await generateSigningKey(NOW - 3600);
  ourKey = createPrivateKey({ key: { ...ours.privateJwk }, format: 'jwk' });
  attacker = await generateSigningKey(NOW);
  attackerKey = createPrivateKey({ key: { ...attacker.privateJwk }, format: 'jwk' });
  const jwks = { keys: [publicJwkOf(ours)] };
  const now = () => NOW_MS;
  wristband = new AccessTokenVerifier(new PublicKeyRing({ loadPublicKeys: async () => ({ keys: [{ jwk: publicJwkOf(ours), publishedAt: NOW - 3600 }] }) }, { now }), CONFIG, now);
  joseKeys = createLocalJWKSet({ keys: jwks.keys.map((k) => ({ ...k })) });
  aws = JwtVerifier.create({
    issuer: CONFIG.issuer,
    audience: CONFIG.audience,
    jwksUri: 'https://wristband.test/.well-known/jwks.json',
    graceSeconds: CONFIG.clockToleranceSeconds,
  });
  aws.cacheJwks({ keys: jwks.keys.map((k) => ({ ...k })) }, CONFIG.issuer);
  // aws-jwt-verify reads the clock with Date.now() and has no option for it.
  dateNow = jest.spyOn(Date, 'now').mockReturnValue(NOW_MS);
});

afterAll(() => {
  dateNow.mockRestore();
});

const b64 = (data: string | Buffer) => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64url');
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ABSENT = Symbol('absent');
const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

/** A member's value: mostly the valid one, sometimes one of the hostile ones. */
const member = (valid: unknown, ...others: unknown[]) => fc.oneof({ arbitrary: fc.constant(valid), weight: 15 }, { arbitrary: fc.constantFrom(...others), weight: 1 });
/** A date relative to NOW: mostly `valid`, sometimes an edge or anywhere. */
const date = (valid: number | typeof ABSENT, ...edges: (number | typeof ABSENT | string)[]) =>
  fc.oneof(
    { arbitrary: fc.constant(valid), weight: 12 },
    { arbitrary: fc.constantFrom(...edges), weight: 2 },
    { arbitrary: fc.integer({ min: -100_000, max: 100_000 }), weight: 1 },
  );

const headerArb = fc.record({
  alg: member('ES256', 'none', 'HS256', 'ES384', 'es256', 'RS256', ABSENT),
  typ: member('at+jwt', 'application/at+jwt', 'AT+JWT', 'JWT', 'jwt', ABSENT, 1),
  kid: member('ours', 'attacker', '', ABSENT, 7),
  extra: member(undefined, { jku: 'https://attacker.example/jwks' }, { crit: ['exp'] }, { cty: 'JWT' }, { x: 1 }, { b64: true }),
});

const payloadArb = fc.record({
  iss: member(CONFIG.issuer, 'https://attacker.example', `${CONFIG.issuer}/`, ABSENT, 1, [CONFIG.issuer]),
  aud: member(CONFIG.audience, [CONFIG.audience], ['other', CONFIG.audience], 'other', [], ABSENT, 1),
  sub: member('user-1', '', ABSENT, 42, ['user-1']),
  role: member('user', 'admin', 'superuser', ABSENT, 1, ['admin']),
  jti: member('jti-1', '', ABSENT, 7, ['jti-1'], { id: 1 }),
  iat: date(0, -60, -900, 5, 6, 3600, 31_536_000, ABSENT, 'string'),
  exp: date(900, 600, 905, 906, -4, -5, -6, 1_000_000_000, ABSENT, 'string'),
  nbf: date(ABSENT, 5, 6, -10, 3600, 'string'),
  pad: member(undefined, 'x'.repeat(100), 'x'.repeat(4000)),
});

const textMutationArb = fc.oneof(
  { arbitrary: fc.constant('none' as const), weight: 12 },
  { arbitrary: fc.constantFrom('bom-header', 'bom-payload', 'duplicate-role', 'duplicate-alg', 'spaces', 'escaped-name'), weight: 1 },
);

const tokenMutationArb = fc.oneof(
  { arbitrary: fc.constant({ kind: 'none' as const }), weight: 12 },
  {
    arbitrary: fc.record({
      kind: fc.constantFrom('high-s', 'pad', 'flip-char', 'stray-bits', 'alphabet', 'truncate', 'zero-signature', 'no-signature', 'der-length', 'swap-payload'),
      segment: fc.integer({ min: 0, max: 2 }),
      at: fc.nat(),
      char: fc.constantFrom(...ALPHABET),
    }),
    weight: 3,
  },
);

const signerArb = fc.oneof({ arbitrary: fc.constant('ours' as const), weight: 8 }, { arbitrary: fc.constant('attacker' as const), weight: 1 });

const caseArb = fc.record({ header: headerArb, payload: payloadArb, text: textMutationArb, token: tokenMutationArb, signer: signerArb });
type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

function present(entries: [string, unknown][]): Record<string, unknown> {
  return Object.fromEntries(entries.filter(([, v]) => v !== ABSENT && v !== undefined));
}

function build(c: Case): string {
  const kid = c.header.kid === 'ours' ? ours.kid : c.header.kid === 'attacker' ? attacker.kid : c.header.kid;
  const header = { ...present([['alg', c.header.alg], ['typ', c.header.typ], ['kid', kid]]), ...(c.header.extra as object | undefined) };
  const dated = (v: number | typeof ABSENT | string) => (v === 'string' ? String(NOW) : typeof v === 'number' ? NOW + v : v);
  const { pad, ...claims } = c.payload;
  const payload = present([
    ...Object.entries(claims).map(([k, v]): [string, unknown] => [k, ['iat', 'exp', 'nbf'].includes(k) ? dated(v as number | typeof ABSENT | string) : v]),
    ['pad', pad],
  ]);
  let headerText = JSON.stringify(header);
  let payloadText = JSON.stringify(payload);
  switch (c.text) {
    case 'bom-header':
      headerText = `\ufeff${headerText}`;
      break;
    case 'bom-payload':
      payloadText = `\ufeff${payloadText}`;
      break;
    case 'duplicate-role':
      payloadText = payloadText.replace(/}$/, ',"role":"admin"}');
      break;
    case 'duplicate-alg':
      headerText = headerText.replace(/^{/, '{"alg":"none",');
      break;
    case 'spaces':
      headerText = JSON.stringify(header, undefined, 1);
      payloadText = JSON.stringify(payload, undefined, '\t');
      break;
    case 'escaped-name':
      payloadText = payloadText.replace('"role"', '"r\\u006fle"');
      break;
  }
  const input = `${b64(headerText)}.${b64(payloadText)}`;
  const signature = lowSSignature(sign('sha256', Buffer.from(input), { key: c.signer === 'ours' ? ourKey : attackerKey, dsaEncoding: 'ieee-p1363' }));
  return mutate(`${input}.${b64(signature)}`, c.token);
}

function mutate(token: string, m: Case['token']): string {
  if (m.kind === 'none') return token;
  const parts = token.split('.') as [string, string, string];
  const segment = parts[m.segment]!;
  switch (m.kind) {
    case 'high-s': {
      const raw = Buffer.from(parts[2], 'base64url');
      const s = P256_ORDER - BigInt(`0x${raw.subarray(32).toString('hex')}`);
      parts[2] = b64(Buffer.concat([raw.subarray(0, 32), Buffer.from(s.toString(16).padStart(64, '0'), 'hex')]));
      break;
    }
    case 'pad':
      parts[m.segment] = `${segment}=`;
      break;
    case 'flip-char': {
      const i = m.at % segment.length;
      parts[m.segment] = `${segment.slice(0, i)}${m.char}${segment.slice(i + 1)}`;
      break;
    }
    case 'stray-bits':
      parts[m.segment] = `${segment.slice(0, -1)}${ALPHABET[ALPHABET.indexOf(segment.at(-1)!) ^ 1]}`;
      break;
    case 'alphabet':
      return token.replace(/-/g, '+').replace(/_/g, '/');
    case 'truncate':
      parts[m.segment] = segment.slice(0, -1);
      break;
    case 'zero-signature':
      parts[2] = b64(Buffer.alloc(64));
      break;
    case 'no-signature':
      parts[2] = '';
      break;
    case 'der-length':
      parts[2] = b64(Buffer.concat([Buffer.from(parts[2], 'base64url'), Buffer.from([0])]));
      break;
    case 'swap-payload':
      [parts[0], parts[1]] = [parts[1], parts[0]];
      break;
  }
  return parts.join('.');
}

type Verdict = { accepted: true } | { accepted: false; reason: string };

async function byWristband(token: string): Promise<Verdict> {
  try {
    await wristband.verify(token);
    return { accepted: true };
  } catch (error) {
    if (!(error instanceof InvalidTokenError)) throw error;
    return { accepted: false, reason: error.reason ?? 'none' };
  }
}

async function byJose(token: string): Promise<boolean> {
  try {
    await jwtVerify(token, joseKeys, {
      issuer: CONFIG.issuer,
      audience: CONFIG.audience,
      algorithms: ['ES256'],
      clockTolerance: CONFIG.clockToleranceSeconds,
      currentDate: new Date(NOW_MS),
    });
    return true;
  } catch {
    return false;
  }
}

function byAwsJwtVerify(token: string): boolean {
  try {
    aws.verifySync(token);
    return true;
  } catch {
    return false;
  }
}

it(`never accepts a token that jose or aws-jwt-verify refuses (${RUNS} generated tokens)`, async () => {
  const tally = { allAccept: 0, allRefuse: 0, extra: new Map<string, number>() };
  await fc.assert(
    fc.asyncProperty(caseArb, async (c) => {
      const token = build(c);
      const [ourVerdict, jose, awsVerdict] = [await byWristband(token), await byJose(token), byAwsJwtVerify(token)];
      if (ourVerdict.accepted) {
        // The property itself: what we accept, both references accept.
        expect({ token, jose, aws: awsVerdict }).toEqual({ token, jose: true, aws: true });
        tally.allAccept += 1;
      } else if (jose || awsVerdict) {
        // We refuse what a reference accepts: only for a rule of our own.
        expect({ token, reason: ourVerdict.reason, known: EXTRA_REFUSALS.has(ourVerdict.reason) }).toEqual({ token, reason: ourVerdict.reason, known: true });
        tally.extra.set(ourVerdict.reason, (tally.extra.get(ourVerdict.reason) ?? 0) + 1);
      } else {
        tally.allRefuse += 1;
      }
    }),
    { numRuns: RUNS },
  );
  // Not vacuous: a good share of tokens is valid for all three, and a good share refused by all three.
  expect(tally.allAccept).toBeGreaterThan(RUNS / 20);
  expect(tally.allRefuse).toBeGreaterThan(RUNS / 20);
  if (process.env.DIFF_FUZZ_TALLY) console.log(JSON.stringify({ ...tally, extra: Object.fromEntries(tally.extra) }));
});

it('refuses, alone, the rules of its own that the references do not check (one token each)', async () => {
  const base = (over: Partial<Case> = {}): Case => ({
    header: { alg: 'ES256', typ: 'at+jwt', kid: 'ours', extra: undefined },
    payload: { iss: CONFIG.issuer, aud: CONFIG.audience, sub: 'user-1', role: 'user', jti: 'jti-1', iat: 0, exp: 900, nbf: ABSENT, pad: undefined },
    text: 'none',
    token: { kind: 'none' },
    signer: 'ours',
    ...over,
  });
  const high = { kind: 'high-s', segment: 2, at: 0, char: 'A' } as const;
  const cases: [string, Case][] = [
    ['valid', base()],
    ['high-S twin', base({ token: high })],
    ['BOM before the header', base({ text: 'bom-header' })],
    ['duplicate role', base({ text: 'duplicate-role' })],
    ['typ JWT', base({ header: { ...base().header, typ: 'JWT' } })],
    ['exp a year ahead', base({ payload: { ...base().payload, exp: 31_536_000 } })],
    ['iat an hour ahead', base({ payload: { ...base().payload, iat: 3600, exp: 3700 } })],
    ['unknown role', base({ payload: { ...base().payload, role: 'superuser' } })],
  ];
  const verdicts: [string, boolean, boolean][] = [];
  for (const [name, c] of cases) {
    const token = build(c);
    verdicts.push([name, (await byWristband(token)).accepted, await byJose(token)]);
  }
  expect(verdicts).toEqual([
    ['valid', true, true],
    ['high-S twin', false, true],
    ['BOM before the header', false, true],
    ['duplicate role', false, true],
    ['typ JWT', false, true],
    ['exp a year ahead', false, true],
    ['iat an hour ahead', false, true],
    ['unknown role', false, true],
  ]);
});
