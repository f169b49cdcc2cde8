/**
 * Every JWT attack the security suite throws at wristband, written once and
 * used twice: against the authorizer handler directly
 * (test/security/attacks-authorizer.test.ts) and against the local stack
 * over HTTP (test/security/attacks-http.test.ts). Each attack is a complete
 * `Authorization` header value.
 *
 * Most attacks are one mutation of a baseline token that would pass (ES256,
 * `typ: at+jwt`, our `kid`, our `iss` and `aud`, role admin, fresh `exp`):
 * the suites check that baseline passes, so each refusal is down to its
 * mutation. Tokens "signed by the real key" are signed with the stack's own
 * signing key, read with the stack's own key code (FileKeyStore, key-set)
 * from the key directory of the stack under test.
 *
 * Every value can travel in an HTTP header unchanged (no CR, LF or NUL, no
 * leading or trailing whitespace, which HTTP strips): both suites see the
 * same bytes.
 */
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSign,
  generateKeyPairSync,
  randomUUID,
  sign as cryptoSign,
  type KeyObject,
} from 'node:crypto';
import { generateSigningKey, publicJwkOf, type SigningKeyRecord } from '../../lambdas/keys/key-set';
import { FileKeyStore } from '../../lambdas/keys/key-store';
import { lowSSignature } from '../../lambdas/tokens/access-token-verifier';

/** The attacks of issue 4, one entry per line of its list (plus the classics of the foundation issue). */
export const ATTACK_CATEGORIES = [
  'alg none (every spelling)',
  'stripped signature',
  'HMAC signed with the public key (PEM, DER, JWK JSON, raw coordinates)',
  'RS256 header on an EC key',
  'signature from another P-256 key with our kid',
  'kid absent, unknown, empty, path traversal, very long',
  'jku, x5u, jwk, x5c headers carrying an attacker key',
  'crit with unknown extensions',
  'typ other than at+jwt (an ID-token-like JWT signed by the real key)',
  'wrong iss or aud',
  'exp in the past beyond tolerance, nbf in the future',
  'exp, iat, nbf as strings',
  'duplicate JSON members in header or payload',
  'non-canonical base64url (padding, +/, stray bits)',
  'whitespace inside the token',
  'oversized token (64 KiB)',
  'malformed Authorization header (Bearer twice, tab, missing space)',
  'ECDSA zero signature (psychic signature, r = s = 0)',
  'tampered header or payload',
  'other algorithms with a valid ES256 signature',
  'garbage',
  'ECDSA malleability (the high-S twin of a valid token)',
  'UTF-8 byte order mark in a segment',
  'iat or exp absurdly far in the future',
] as const;

export type AttackCategory = (typeof ATTACK_CATEGORIES)[number];

export interface Attack {
  readonly category: AttackCategory;
  readonly name: string;
  /** The whole Authorization header value. */
  readonly authorization: string;
}

export interface AttackTarget {
  /** The key directory of the stack under test (FileKeyStore layout). */
  readonly keysDir: string;
  readonly issuer: string;
  readonly audience: string;
  /** The access-token lifetime and clock tolerance the stack runs with (TokenConfig). */
  readonly accessTokenTtlSeconds: number;
  readonly clockToleranceSeconds: number;
  /** Epoch seconds; defaults to now. */
  readonly now?: number;
}

export interface AttackKit {
  /** A baseline token that must pass: every attack is refused because of what it changes. */
  readonly validAuthorization: string;
  readonly attacks: readonly Attack[];
}

/** The order of the P-256 group: r or s equal to it reduces to zero. */
const P256_ORDER = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');

/** (r, n - s): the other valid ECDSA signature of the same message (the high-S twin of a low-S one). */
export function malleated(signature: Buffer): Buffer {
  const n = BigInt(`0x${P256_ORDER.toString('hex')}`);
  const s = BigInt(`0x${signature.subarray(32).toString('hex')}`);
  return Buffer.concat([signature.subarray(0, 32), Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex')]);
}

const b64 = (data: string | Buffer) => (typeof data === 'string' ? Buffer.from(data, 'utf8') : data).toString('base64url');

/** Low-S, as wristband signs: an attack is then refused for its mutation, not for a high s that ECDSA picked at random. */
function es256(input: string, key: KeyObject): string {
  return lowSSignature(cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })).toString('base64url');
}

/** A compact JWS from raw header and payload JSON text (so duplicates and odd spacing survive), ES256-signed by `key`. */
function signedText(headerJson: string, payloadJson: string, key: KeyObject): string {
  const input = `${b64(headerJson)}.${b64(payloadJson)}`;
  return `${input}.${es256(input, key)}`;
}

function hmacToken(alg: 'HS256' | 'HS384' | 'HS512', header: object, claims: object, secret: string | Buffer): string {
  const input = `${b64(JSON.stringify({ ...header, alg }))}.${b64(JSON.stringify(claims))}`;
  const digest = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[alg];
  return `${input}.${createHmac(digest, secret).update(input).digest('base64url')}`;
}

function privateKeyOf(record: SigningKeyRecord): KeyObject {
  return createPrivateKey({ key: { ...record.privateJwk }, format: 'jwk' });
}

/** Builds the attack list against the stack whose keys live in `target.keysDir`. */
export async function hostileAuthorizations(target: AttackTarget): Promise<AttackKit> {
  const now = target.now ?? Math.floor(Date.now() / 1000);
  const ours = await new FileKeyStore(target.keysDir).loadSigningKey();
  const ourKey = privateKeyOf(ours);
  const ourPublic = createPublicKey(ourKey);
  const attacker = await generateSigningKey(now);
  const attackerKey = privateKeyOf(attacker);
  const attackerJwk = publicJwkOf(attacker);
  const attackerSpkiDer = createPublicKey(attackerKey).export({ type: 'spki', format: 'der' });

  const header = (overrides: Record<string, unknown> = {}) => ({ alg: 'ES256', typ: 'at+jwt', kid: ours.kid, ...overrides });
  const claims = (overrides: Record<string, unknown> = {}) => ({
    iss: target.issuer,
    aud: target.audience,
    sub: randomUUID(),
    role: 'admin',
    iat: now,
    exp: now + 600,
    jti: randomUUID(),
    ...overrides,
  });
  /** Signed by the real key, with `h` and `c` merged over the baseline (undefined removes a member). */
  const real = (h: Record<string, unknown> = {}, c: Record<string, unknown> = {}, key: KeyObject = ourKey) =>
    signedText(JSON.stringify(header(h)), JSON.stringify(claims(c)), key);
  const bearer = (token: string) => `Bearer ${token}`;

  const baseline = real();
  const [h0, p0, s0] = baseline.split('.') as [string, string, string];
  const attacks: Attack[] = [];
  const add = (category: AttackCategory, name: string, token: string, raw = false) =>
    attacks.push({ category, name, authorization: raw ? token : bearer(token) });

  // alg none, in every spelling; with an empty signature, and with the real one left in place.
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    add('alg none (every spelling)', `alg ${alg}, empty signature`, `${b64(JSON.stringify(header({ alg })))}.${p0}.`);
  }
  add('alg none (every spelling)', 'alg none keeping the real signature', `${b64(JSON.stringify(header({ alg: 'none' })))}.${p0}.${s0}`);
  add('alg none (every spelling)', 'alg none without typ or kid', `${b64(JSON.stringify({ alg: 'none' }))}.${p0}.`);

  add('stripped signature', 'empty third segment', `${h0}.${p0}.`);
  add('stripped signature', 'two segments', `${h0}.${p0}`);

  // Algorithm confusion: the public key, in every form a confused verifier might use as an HMAC secret.
  const jwk = publicJwkOf(ours);
  const x = Buffer.from(jwk.x, 'base64url');
  const y = Buffer.from(jwk.y, 'base64url');
  const secrets: [string, string | Buffer][] = [
    ['PEM', String(ourPublic.export({ type: 'spki', format: 'pem' }))],
    ['DER', ourPublic.export({ type: 'spki', format: 'der' })],
    ['JWK JSON', JSON.stringify(jwk)],
    ['raw uncompressed point', Buffer.concat([Buffer.from([4]), x, y])],
    ['raw x and y coordinates', Buffer.concat([x, y])],
  ];
  for (const alg of ['HS256', 'HS384', 'HS512'] as const) {
    for (const [form, secret] of secrets) {
      add('HMAC signed with the public key (PEM, DER, JWK JSON, raw coordinates)', `${alg} with the public key as ${form}`, hmacToken(alg, header(), claims(), secret));
    }
  }

  add('RS256 header on an EC key', 'RS256 header over a valid ES256 signature', real({ alg: 'RS256' }));
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsInput = `${b64(JSON.stringify(header({ alg: 'RS256' })))}.${b64(JSON.stringify(claims()))}`;
  add('RS256 header on an EC key', 'RS256 signed by an attacker RSA key under our kid', `${rsInput}.${createSign('RSA-SHA256').update(rsInput).sign(rsa.privateKey).toString('base64url')}`);

  add('signature from another P-256 key with our kid', 'attacker P-256 key, our kid', real({}, {}, attackerKey));

  add('kid absent, unknown, empty, path traversal, very long', 'kid absent', real({ kid: undefined }));
  add('kid absent, unknown, empty, path traversal, very long', 'kid unknown', real({ kid: attacker.kid }));
  add('kid absent, unknown, empty, path traversal, very long', 'kid empty', real({ kid: '' }));
  add('kid absent, unknown, empty, path traversal, very long', 'kid traversal to the private key file', real({ kid: '../keys/signing-key.json' }));
  add('kid absent, unknown, empty, path traversal, very long', 'kid traversal to /etc/passwd', real({ kid: '../../../../../../../../etc/passwd' }));
  add('kid absent, unknown, empty, path traversal, very long', 'kid traversal, URL-encoded', real({ kid: '..%2F..%2Fkeys%2Fsigning-key.json' }));
  add('kid absent, unknown, empty, path traversal, very long', 'kid of 2,000 characters', real({ kid: 'k'.repeat(2000) }));
  add('kid absent, unknown, empty, path traversal, very long', 'kid of 10,000 characters', real({ kid: 'k'.repeat(10_000) }));
  add('kid absent, unknown, empty, path traversal, very long', 'kid that is a number', real({ kid: 1 }));
  add('kid absent, unknown, empty, path traversal, very long', 'kid that is null', real({ kid: null }));
  add('kid absent, unknown, empty, path traversal, very long', 'our kid with a suffix', real({ kid: `${ours.kid}x` }));

  // Headers that would make a naive verifier fetch or trust the attacker's key: signed by that key.
  const attackerSigned = (h: Record<string, unknown>) => real(h, {}, attackerKey);
  const keyCarrier = 'jku, x5u, jwk, x5c headers carrying an attacker key';
  add(keyCarrier, 'jku pointing at the attacker JWKS', attackerSigned({ kid: attacker.kid, jku: 'https://attacker.example/.well-known/jwks.json' }));
  add(keyCarrier, 'x5u pointing at the attacker certificate', attackerSigned({ kid: attacker.kid, x5u: 'https://attacker.example/cert.pem' }));
  add(keyCarrier, 'jwk embedding the attacker key', attackerSigned({ kid: attacker.kid, jwk: attackerJwk }));
  add(keyCarrier, 'jwk embedding the attacker key under our kid', attackerSigned({ jwk: { ...attackerJwk, kid: ours.kid } }));
  add(keyCarrier, 'x5c carrying the attacker key', attackerSigned({ kid: attacker.kid, x5c: [attackerSpkiDer.toString('base64')] }));
  add(keyCarrier, 'jku to our own JWKS path, signed by the attacker', attackerSigned({ kid: attacker.kid, jku: 'http://localhost/.well-known/jwks.json' }));

  add('crit with unknown extensions', 'crit naming an unknown extension', real({ crit: ['x-wristband-skip-checks'], 'x-wristband-skip-checks': true }));
  add('crit with unknown extensions', 'crit naming a registered claim', real({ crit: ['exp'] }));
  add('crit with unknown extensions', 'crit empty', real({ crit: [] }));

  // An OpenID Connect ID token, signed by the real key: a token for a client, not an access token for this API.
  const idToken = signedText(
    JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: ours.kid }),
    JSON.stringify({
      iss: target.issuer,
      aud: target.audience,
      sub: randomUUID(),
      email: 'alice@example.com',
      email_verified: true,
      name: 'Alice',
      nonce: 'n-0S6_WzA2Mj',
      auth_time: now - 5,
      iat: now,
      exp: now + 600,
      role: 'admin',
      jti: randomUUID(),
    }),
    ourKey,
  );
  const typ = 'typ other than at+jwt (an ID-token-like JWT signed by the real key)';
  add(typ, 'an ID token (typ JWT, OIDC claims) signed by the real key', idToken);
  add(typ, 'typ absent', real({ typ: undefined }));
  add(typ, 'typ JWT', real({ typ: 'JWT' }));
  add(typ, 'typ application/jwt', real({ typ: 'application/jwt' }));
  add(typ, 'typ dpop+jwt', real({ typ: 'dpop+jwt' }));
  add(typ, 'typ logout+jwt', real({ typ: 'logout+jwt' }));
  add(typ, 'typ at+jwt with trailing space', real({ typ: 'at+jwt ' }));

  const issAud = 'wrong iss or aud';
  add(issAud, 'another issuer', real({}, { iss: 'https://attacker.example' }));
  add(issAud, 'our issuer with a trailing slash', real({}, { iss: `${target.issuer}/` }));
  add(issAud, 'another audience', real({}, { aud: 'another-api' }));
  add(issAud, 'an audience list without ours', real({}, { aud: ['another-api', 'third-api'] }));
  add(issAud, 'no iss', real({}, { iss: undefined }));
  add(issAud, 'no aud', real({}, { aud: undefined }));

  const time = 'exp in the past beyond tolerance, nbf in the future';
  add(time, 'exp a minute ago', real({}, { iat: now - 660, exp: now - 60 }));
  add(time, 'exp a day ago', real({}, { iat: now - 86_400 - 600, exp: now - 86_400 }));
  add(time, 'exp absent', real({}, { exp: undefined }));
  add(time, 'nbf an hour ahead', real({}, { nbf: now + 3600 }));
  add(time, 'nbf a minute ahead', real({}, { nbf: now + 60 }));

  const types = 'exp, iat, nbf as strings';
  add(types, 'exp as a string', real({}, { exp: String(now + 600) }));
  add(types, 'iat as a string', real({}, { iat: String(now) }));
  add(types, 'nbf as a string', real({}, { nbf: String(now - 10) }));
  add(types, 'exp as an object', real({}, { exp: { $numberLong: String(now + 600) } }));

  const dup = 'duplicate JSON members in header or payload';
  const claimsJson = JSON.stringify(claims({ role: 'user' }));
  add(dup, 'header with alg twice (none, then ES256)', signedText(`{"alg":"none","typ":"at+jwt","kid":"${ours.kid}","alg":"ES256"}`, JSON.stringify(claims()), ourKey));
  add(dup, 'header with kid twice', signedText(`{"alg":"ES256","typ":"at+jwt","kid":"${attacker.kid}","kid":"${ours.kid}"}`, JSON.stringify(claims()), ourKey));
  add(dup, 'payload with role twice (user, then admin)', signedText(JSON.stringify(header()), claimsJson.replace(/}$/, ',"role":"admin"}'), ourKey));
  add(dup, 'payload with role twice, the second escaped', signedText(JSON.stringify(header()), claimsJson.replace(/}$/, ',"r\\u006fle":"admin"}'), ourKey));
  add(dup, 'payload with sub twice', signedText(JSON.stringify(header()), JSON.stringify(claims()).replace(/}$/, `,"sub":"${randomUUID()}"}`), ourKey));

  const canon = 'non-canonical base64url (padding, +/, stray bits)';
  add(canon, 'padding on the header', `${h0}=.${p0}.${s0}`);
  add(canon, 'padding on the payload', `${h0}.${p0}==.${s0}`);
  add(canon, 'padding on the signature', `${h0}.${p0}.${s0}==`);
  let withUrlChars = baseline;
  for (let i = 0; !/[-_]/.test(withUrlChars) && i < 200; i++) withUrlChars = real({}, { jti: `jti-${i}` });
  if (!/[-_]/.test(withUrlChars)) throw new Error('could not build a token with - or _ in it');
  add(canon, 'standard alphabet (+ and /) instead of - and _', withUrlChars.replace(/-/g, '+').replace(/_/g, '/'));
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const flipLastBit = (segment: string) => `${segment.slice(0, -1)}${alphabet[alphabet.indexOf(segment.at(-1) as string) ^ 1]}`;
  add(canon, 'stray bits in the signature (same bytes, another spelling)', `${h0}.${p0}.${flipLastBit(s0)}`);
  add(canon, 'base64 (not url) with padding throughout', [h0, p0, s0].map((s) => Buffer.from(s, 'base64url').toString('base64')).join('.'));

  const space = 'whitespace inside the token';
  add(space, 'a space between segments', `${h0}. ${p0}.${s0}`);
  add(space, 'a tab inside the signature', `${h0}.${p0}.${s0.slice(0, 40)}\t${s0.slice(40)}`);
  add(space, 'a space inside the payload', `${h0}.${p0.slice(0, 20)} ${p0.slice(20)}.${s0}`);

  // 64 KiB of token, signed by the real key: refused for its size, before any signature work.
  const big = real({}, { pad: 'x'.repeat(48 * 1024) });
  add('oversized token (64 KiB)', `a ${Math.round(big.length / 1024)} KiB token signed by the real key`, big);
  let justOver = baseline;
  for (let pad = Math.floor(((4096 - baseline.length) * 3) / 4) - 16; justOver.length <= 4096; pad++) justOver = real({}, { pad: 'y'.repeat(pad) });
  add('oversized token (64 KiB)', `${justOver.length} characters, just over the 4 KiB limit, signed by the real key`, justOver);

  const shape = 'malformed Authorization header (Bearer twice, tab, missing space)';
  add(shape, 'Bearer twice', `Bearer Bearer ${baseline}`, true);
  add(shape, 'a tab instead of the space', `Bearer\t${baseline}`, true);
  add(shape, 'no space after Bearer', `Bearer${baseline}`, true);
  add(shape, 'two spaces after Bearer', `Bearer  ${baseline}`, true);
  add(shape, 'no scheme', baseline, true);
  add(shape, 'Basic scheme', `Basic ${baseline}`, true);
  add(shape, 'Token scheme', `Token ${baseline}`, true);
  add(shape, 'Bearer alone', 'Bearer', true);
  add(shape, 'two tokens, comma separated', `Bearer ${baseline}, Bearer ${baseline}`, true);
  add(shape, 'Bearer with a non-ASCII letter', `Be\u00e0rer ${baseline}`, true);

  const psychic = 'ECDSA zero signature (psychic signature, r = s = 0)';
  add(psychic, 'r = s = 0', `${h0}.${p0}.${b64(Buffer.alloc(64))}`);
  add(psychic, 'r = s = n (the group order)', `${h0}.${p0}.${b64(Buffer.concat([P256_ORDER, P256_ORDER]))}`);
  add(psychic, 'r = 0, s = the real s', `${h0}.${p0}.${b64(Buffer.concat([Buffer.alloc(32), Buffer.from(s0, 'base64url').subarray(32)]))}`);
  add(psychic, 'r = the real r, s = 0', `${h0}.${p0}.${b64(Buffer.concat([Buffer.from(s0, 'base64url').subarray(0, 32), Buffer.alloc(32)]))}`);

  const tamper = 'tampered header or payload';
  const userToken = real({}, { role: 'user' });
  const [uh, , us] = userToken.split('.') as [string, string, string];
  add(tamper, 'role raised from user to admin, signature kept', `${uh}.${b64(JSON.stringify(claims()))}.${us}`);
  add(tamper, 'exp pushed a year ahead, signature kept', `${h0}.${b64(JSON.stringify(claims({ exp: now + 31_536_000 })))}.${s0}`);
  add(tamper, 'header replaced, signature kept', `${b64(JSON.stringify(header({ kid: ours.kid, typ: 'application/at+jwt' })))}.${p0}.${s0}`);
  add(tamper, 'signature of another token', `${h0}.${p0}.${userToken.split('.')[2]}`);

  const algs = 'other algorithms with a valid ES256 signature';
  for (const alg of ['ES384', 'ES512', 'PS256', 'EdDSA', 'ES256K', 'es256']) add(algs, `alg ${alg}`, real({ alg }));

  add('garbage', 'a random word', 'not-a-token');
  add('garbage', 'a JWE-shaped token (five segments)', `${h0}.${p0}.${s0}.${s0}.${s0}`);
  add('garbage', 'four segments', `${h0}.${p0}.${s0}.${s0}`);
  add('garbage', 'header and payload not JSON', `${b64('{alg:ES256}')}.${b64('role=admin')}.${s0}`);
  add('garbage', 'header that is a JSON array', `${b64('["ES256"]')}.${p0}.${s0}`);
  add('garbage', 'dots only', '..');

  // Anyone holding a token can compute (r, n - s): it verifies with plain ECDSA, but is a second spelling of the token.
  add('ECDSA malleability (the high-S twin of a valid token)', 'the baseline with s replaced by n - s', `${h0}.${p0}.${b64(malleated(Buffer.from(s0, 'base64url')))}`);
  add('ECDSA malleability (the high-S twin of a valid token)', 'a user token with s replaced by n - s', `${uh}.${userToken.split('.')[1]}.${b64(malleated(Buffer.from(us, 'base64url')))}`);

  // A decoder that skips a leading BOM reads the same JSON: a second spelling of the same claims.
  const bom = 'UTF-8 byte order mark in a segment';
  add(bom, 'BOM before the header JSON', signedText(`\ufeff${JSON.stringify(header())}`, JSON.stringify(claims()), ourKey));
  add(bom, 'BOM before the payload JSON', signedText(JSON.stringify(header()), `\ufeff${JSON.stringify(claims())}`, ourKey));
  add(bom, 'BOM before both', signedText(`\ufeff${JSON.stringify(header())}`, `\ufeff${JSON.stringify(claims())}`, ourKey));

  // Signed by the real key (as after a key leak, or an issuer bug): dates no token of ours carries.
  const far = 'iat or exp absurdly far in the future';
  const life = target.accessTokenTtlSeconds;
  const tolerance = target.clockToleranceSeconds;
  add(far, 'exp a century ahead', real({}, { exp: now + 100 * 365 * 86_400 }));
  add(far, 'exp at the largest safe integer', real({}, { exp: Number.MAX_SAFE_INTEGER }));
  // The suites run against the real clock, a while after these are built: two minutes of margin (the
  // exact edges are in test/lambdas/tokens/access-tokens.test.ts › token edges, on a frozen clock).
  add(far, 'exp two minutes past now + lifetime + tolerance', real({}, { exp: now + life + tolerance + 120 }));
  add(far, 'iat a day ahead', real({}, { iat: now + 86_400, exp: now + 60 }));
  add(far, 'iat two minutes past now + tolerance', real({}, { iat: now + tolerance + 120, exp: now + 60 }));
  add(far, 'exp - iat one second over the lifetime', real({}, { iat: now - 60, exp: now - 60 + life + 1 }));

  for (const attack of attacks) {
    if (/[\r\n\0]|^\s|\s$/.test(attack.authorization)) throw new Error(`attack "${attack.name}" cannot travel in an HTTP header unchanged`);
  }
  return { validAuthorization: bearer(baseline), attacks };
}
