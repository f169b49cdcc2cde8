/**
 * Access tokens: the only module that signs or verifies them, and so the
 * one place that knows the algorithm, the header, the claims, the issuer,
 * the audience, the lifetime and the clock tolerance (RFC 9068, RFC 8725).
 */
import { errors as joseErrors, importJWK, jwtVerify, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { InvalidTokenError } from '../shared/errors';
import { isRole, type Role } from '../shared/routes';
import { LIMITS } from '../shared/settings';
import type { TokenConfig } from '../shared/config';
import { SIGNING_ALGORITHM, type SigningKeyRecord } from '../keys/key-set';
import type { SigningKeySource } from '../keys/key-store';
import type { PublicKeyRing } from '../keys/public-key-ring';

export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** RFC 9068 allows the full media type too. */
const ACCEPTED_TYPES = new Set([ACCESS_TOKEN_TYPE, `application/${ACCESS_TOKEN_TYPE}`]);
/** Header members we emit and accept. Anything else (jku, x5u, jwk, x5c, crit, ...) is refused outright. */
const ALLOWED_HEADER_MEMBERS = new Set(['alg', 'typ', 'kid']);

export interface AccessClaims {
  readonly sub: string;
  readonly role: Role;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  readonly iss: string;
  readonly aud: string | string[];
}

export interface IssuedAccessToken {
  readonly accessToken: string;
  readonly expiresIn: number;
}

type SignKey = Awaited<ReturnType<typeof importJWK>>;

/** Signs access tokens with the current key, kept in memory for `cacheSeconds`. */
export class AccessTokenIssuer {
  private cached: { record: SigningKeyRecord; key: SignKey; loadedAt: number } | undefined;
  private inflight: Promise<{ record: SigningKeyRecord; key: SignKey }> | undefined;

  constructor(
    private readonly source: SigningKeySource,
    private readonly config: TokenConfig,
    private readonly cacheSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  async issue(subject: { sub: string; role: Role }): Promise<IssuedAccessToken> {
    const { record, key } = await this.signingKey();
    const iat = Math.floor(this.now() / 1000);
    const ttl = this.config.accessTokenTtlSeconds;
    const accessToken = await new SignJWT({ role: subject.role })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: record.kid })
      .setIssuer(this.config.issuer)
      .setAudience(this.config.audience)
      .setSubject(subject.sub)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .setJti(randomUUID())
      .sign(key);
    return { accessToken, expiresIn: ttl };
  }

  private async signingKey(): Promise<{ record: SigningKeyRecord; key: SignKey }> {
    const cached = this.cached;
    if (cached && this.now() - cached.loadedAt < this.cacheSeconds * 1000) return cached;
    this.inflight ??= (async () => {
      try {
        const record = await this.source.loadSigningKey();
        const key = cached?.record.kid === record.kid ? cached.key : await importJWK({ ...record.privateJwk }, SIGNING_ALGORITHM);
        this.cached = { record, key, loadedAt: this.now() };
        return this.cached;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }
}

/** Verifies access tokens against the stack's own published keys, and nothing else. */
export class AccessTokenVerifier {
  constructor(
    private readonly keys: PublicKeyRing,
    private readonly config: TokenConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Returns the verified claims, or throws InvalidTokenError (a bad token:
   * 401). Any other error (KeySourceError) means we could not check: the
   * caller must fail closed with a 503, never let the request through.
   */
  async verify(token: string): Promise<AccessClaims> {
    const header = parseStrictHeader(token);
    const key = await this.keys.get(header.kid);
    if (!key) throw new InvalidTokenError('unknown_kid');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: [SIGNING_ALGORITHM],
        typ: ACCESS_TOKEN_TYPE,
        issuer: this.config.issuer,
        audience: this.config.audience,
        clockTolerance: this.config.clockToleranceSeconds,
        requiredClaims: ['iss', 'aud', 'sub', 'iat', 'exp', 'jti'],
        currentDate: new Date(this.now()),
      }));
    } catch (error) {
      throw new InvalidTokenError(joseReason(error));
    }
    const { sub, role, jti, iat, exp, iss, aud } = payload;
    if (typeof sub !== 'string' || sub.length === 0) throw new InvalidTokenError('bad_sub');
    if (!isRole(role)) throw new InvalidTokenError('bad_role');
    if (typeof jti !== 'string' || jti.length === 0) throw new InvalidTokenError('bad_jti');
    return { sub, role, jti, iat: iat as number, exp: exp as number, iss: iss as string, aud: aud as string | string[] };
  }
}

function joseReason(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim_${error.claim}`;
  if (error instanceof joseErrors.JOSEError) return error.code.toLowerCase().replace(/^err_/, '');
  return 'malformed';
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
/** An ES256 signature is 64 bytes: exactly 86 base64url characters. */
const ES256_SIGNATURE_LENGTH = 86;

/**
 * Structural checks jose leaves to the caller (RFC 8725 section 3): one
 * canonical base64url encoding per segment, JSON without duplicate members,
 * a header with exactly the members we issue. Done before any key lookup,
 * so garbage never costs a key fetch.
 */
export function parseStrictHeader(token: string): { alg: string; typ: string; kid: string } {
  if (typeof token !== 'string' || token.length > LIMITS.maxTokenLength) throw new InvalidTokenError('malformed');
  const parts = token.split('.');
  if (parts.length !== 3) throw new InvalidTokenError('malformed');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJsonSegment(headerPart);
  decodeJsonSegment(payloadPart);
  for (const member of Object.keys(header)) {
    if (!ALLOWED_HEADER_MEMBERS.has(member)) throw new InvalidTokenError('header_member_not_allowed');
  }
  // The header is judged before the signature's shape, so the logs name an alg:none or HS256 token for what it is.
  if (header.alg !== SIGNING_ALGORITHM) throw new InvalidTokenError('alg_not_allowed');
  if (typeof header.typ !== 'string' || !ACCEPTED_TYPES.has(header.typ.toLowerCase())) throw new InvalidTokenError('typ_not_allowed');
  if (typeof header.kid !== 'string' || header.kid.length === 0) throw new InvalidTokenError('no_kid');
  if (signaturePart.length !== ES256_SIGNATURE_LENGTH || !isCanonicalBase64Url(signaturePart)) throw new InvalidTokenError('malformed');
  return { alg: header.alg, typ: header.typ, kid: header.kid };
}

function decodeJsonSegment(segment: string): Record<string, unknown> {
  if (!isCanonicalBase64Url(segment)) throw new InvalidTokenError('malformed');
  const text = Buffer.from(segment, 'base64url').toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidTokenError('malformed');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new InvalidTokenError('malformed');
  if (hasDuplicateMembers(text)) throw new InvalidTokenError('duplicate_member');
  return value as Record<string, unknown>;
}

/** Unpadded base64url whose decoding encodes back to the same text (no stray trailing bits). */
export function isCanonicalBase64Url(segment: string): boolean {
  return SEGMENT.test(segment) && segment.length % 4 !== 1 && Buffer.from(segment, 'base64url').toString('base64url') === segment;
}

/**
 * Whether any JSON object in `text` (valid JSON) names a member twice.
 * JSON.parse keeps the last one silently, so two parsers could disagree
 * about a token's claims; RFC 8725 says to refuse such input.
 */
export function hasDuplicateMembers(text: string): boolean {
  const stack: (Set<string> | null)[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const literal = text.slice(i, j + 1);
      i = j + 1;
      while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
      const members = stack[stack.length - 1];
      if (text[i] === ':' && members) {
        const name = JSON.parse(literal) as string;
        if (members.has(name)) return true;
        members.add(name);
      }
      continue;
    }
    if (c === '{') stack.push(new Set());
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
    i++;
  }
  return false;
}
