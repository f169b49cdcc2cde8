/**
 * Verifying access tokens (RFC 9068 profile, RFC 8725 rules) with
 * node:crypto alone. This is the authorizer's hot path and the only token
 * code in its bundle, so it imports no JOSE library: jose's verify path is
 * ~17 KB of the bundle, verifies through WebCrypto (a promise and a key
 * wrapper per call), and checks things our strict parser has already
 * settled. Every check jose's jwtVerify made for us is made here, in the
 * same order and with the same log reasons, plus the ones jose leaves to the
 * caller (docs/performance.md lists them side by side).
 */
import { verify as verifySignature, type KeyObject } from 'node:crypto';
import { SIGNING_ALGORITHM } from '../keys/key-set';
import type { TokenConfig } from '../contract/config';
import { InvalidTokenError } from '../contract/errors';
import { isRole, type Role } from '../contract/roles';
import { LIMITS } from '../contract/settings';

export const ACCESS_TOKEN_TYPE = 'at+jwt';
/** RFC 9068 allows the full media type too; compared case-insensitively, as media types are. */
const ACCEPTED_TYPES = new Set([ACCESS_TOKEN_TYPE, `application/${ACCESS_TOKEN_TYPE}`]);
/** Header members we emit and accept. Anything else (jku, x5u, jwk, x5c, crit, b64, ...) is refused outright. */
const ALLOWED_HEADER_MEMBERS = new Set(['alg', 'typ', 'kid']);
/** Claims every access token carries (RFC 9068 section 2.2, plus our role). */
const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'iat', 'exp', 'jti'] as const;

/** RFC 8176 authentication method references wristband issues: a password, and a one-time code. */
export const AUTH_METHODS = ['pwd', 'otp'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export interface AccessClaims {
  readonly sub: string;
  readonly role: Role;
  /** How the user signed in (the verifier always sets it: `[]` for a token without the claim, which is never `otp`). */
  readonly amr?: readonly string[];
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  readonly iss: string;
  readonly aud: string | string[];
}

/** Where verification keys come from: the stack's own published keys, by kid (PublicKeyRing). */
export interface VerificationKeys {
  get(kid: string): Promise<KeyObject | undefined>;
}

/** Verifies access tokens against the stack's own published keys, and nothing else. */
export class AccessTokenVerifier {
  constructor(
    private readonly keys: VerificationKeys,
    private readonly config: TokenConfig,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Returns the verified claims, or throws InvalidTokenError (a bad token:
   * 401). Any other error (KeySourceError) means we could not check: the
   * caller must fail closed with a 503, never let the request through.
   */
  async verify(token: string): Promise<AccessClaims> {
    const parsed = parseToken(token);
    const key = await this.keys.get(parsed.header.kid);
    if (!key) throw new InvalidTokenError('unknown_kid');
    if (!signatureValid(parsed, key)) throw new InvalidTokenError('bad_signature');
    return checkClaims(parsed.payload, this.config, Math.floor(this.now() / 1000));
  }
}

interface ParsedToken {
  readonly header: { readonly alg: string; readonly typ: string; readonly kid: string };
  readonly payload: Record<string, unknown>;
  /** `<header>.<payload>`, the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

const SEGMENT = /^[A-Za-z0-9_-]+$/;
/** An ES256 signature is 64 bytes (r || s, RFC 7518 section 3.4): exactly 86 base64url characters. */
const ES256_SIGNATURE_LENGTH = 86;
/**
 * Invalid UTF-8 is refused, not patched with U+FFFD (RFC 8725 section 3.7).
 * `ignoreBOM` keeps a leading byte order mark in the text instead of
 * silently dropping it, so JSON.parse refuses it: a segment with and
 * without a BOM would otherwise be two spellings of one token.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The order n of the P-256 group, big-endian. */
const P256_ORDER = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
/** floor(n / 2): an ES256 signature whose s is above it is the high-S twin of (r, n - s). */
const P256_HALF_ORDER = Buffer.from('7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8', 'hex');

/**
 * Whether a raw 64-byte ES256 signature (r || s) has s > n / 2. ECDSA
 * signatures are malleable: if (r, s) verifies, so does (r, n - s), and
 * anyone holding a token can compute it. wristband signs with the low s
 * only (lowSSignature) and refuses the other, so a token has one spelling:
 * the verified-token cache, API Gateway's cache and any deny-list key on it.
 */
export function isHighS(signature: Uint8Array): boolean {
  return Buffer.compare(signature.subarray(32, 64), P256_HALF_ORDER) > 0;
}

/** The low-S form of a raw 64-byte ES256 signature: (r, n - s) when s > n / 2, else the signature unchanged. */
export function lowSSignature(signature: Uint8Array): Buffer {
  const raw = Buffer.from(signature);
  if (raw.length !== 64 || !isHighS(raw)) return raw;
  const n = BigInt(`0x${P256_ORDER.toString('hex')}`);
  const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
  Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex').copy(raw, 32);
  return raw;
}

/**
 * Structural checks (RFC 8725 section 3): one canonical base64url encoding
 * per segment, strict UTF-8, JSON objects without duplicate members, a
 * header with exactly the members we issue, and a signature of the one
 * shape ES256 has. Done before any key lookup, so garbage never costs a key
 * fetch; the header is judged before the signature's shape, so the logs
 * name an alg:none or HS256 token for what it is.
 */
function parseToken(token: string): ParsedToken {
  if (typeof token !== 'string' || token.length > LIMITS.maxTokenLength) throw new InvalidTokenError('malformed');
  const firstDot = token.indexOf('.');
  const secondDot = token.indexOf('.', firstDot + 1);
  if (firstDot < 0 || secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0) throw new InvalidTokenError('malformed');
  const headerPart = token.slice(0, firstDot);
  const payloadPart = token.slice(firstDot + 1, secondDot);
  const signaturePart = token.slice(secondDot + 1);
  const header = decodeJsonSegment(headerPart);
  const payload = decodeJsonSegment(payloadPart);
  // The algorithm comes from our allow-list (RFC 8725 section 3.1), never from the header's word.
  for (const member in header) {
    if (!ALLOWED_HEADER_MEMBERS.has(member)) throw new InvalidTokenError('header_member_not_allowed');
  }
  if (header.alg !== SIGNING_ALGORITHM) throw new InvalidTokenError('alg_not_allowed');
  if (typeof header.typ !== 'string' || !ACCEPTED_TYPES.has(header.typ.toLowerCase())) throw new InvalidTokenError('typ_not_allowed');
  if (typeof header.kid !== 'string' || header.kid.length === 0) throw new InvalidTokenError('no_kid');
  if (signaturePart.length !== ES256_SIGNATURE_LENGTH) throw new InvalidTokenError('malformed');
  const signature = canonicalBytes(signaturePart);
  if (!signature) throw new InvalidTokenError('malformed');
  if (isHighS(signature)) throw new InvalidTokenError('high_s');
  return {
    header: { alg: header.alg, typ: header.typ, kid: header.kid },
    payload,
    signingInput: token.slice(0, secondDot),
    signature,
  };
}

/**
 * The same header checks as the verifier, for callers that only need the
 * header (and tests): throws InvalidTokenError with the verifier's reasons.
 */
export function parseStrictHeader(token: string): { alg: string; typ: string; kid: string } {
  return parseToken(token).header;
}

function decodeJsonSegment(segment: string): Record<string, unknown> {
  const bytes = canonicalBytes(segment);
  if (!bytes) throw new InvalidTokenError('malformed');
  let text: string;
  let value: unknown;
  try {
    text = UTF8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    throw new InvalidTokenError('malformed');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new InvalidTokenError('malformed');
  if (hasDuplicateMembers(text)) throw new InvalidTokenError('duplicate_member');
  return value as Record<string, unknown>;
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The bytes of an unpadded, canonical base64url segment, or undefined if it is not one. */
function canonicalBytes(segment: string): Buffer | undefined {
  const rest = segment.length % 4;
  if (rest === 1 || !SEGMENT.test(segment)) return undefined;
  // Stray trailing bits decode to the same bytes but encode differently: two spellings of one token are refused.
  // A final group of 2 (or 3) characters carries 4 (or 2) bits no byte uses: they must be zero. Checked on the
  // last character rather than by encoding the bytes again, which cost more than the rest of the parse.
  if (rest !== 0 && (BASE64URL_ALPHABET.indexOf(segment.charAt(segment.length - 1)) & (rest === 2 ? 0b1111 : 0b11)) !== 0) return undefined;
  return Buffer.from(segment, 'base64url');
}

/** Unpadded base64url whose decoding encodes back to the same text (no stray trailing bits). */
export function isCanonicalBase64Url(segment: string): boolean {
  return canonicalBytes(segment) !== undefined;
}

function signatureValid(token: ParsedToken, key: KeyObject): boolean {
  try {
    // ieee-p1363: the raw 64-byte r || s of JWS, not DER. OpenSSL refuses r or s of zero or at least the curve order.
    return verifySignature('sha256', Buffer.from(token.signingInput, 'latin1'), { key, dsaEncoding: 'ieee-p1363' }, token.signature);
  } catch {
    return false;
  }
}

/**
 * The claim checks of RFC 7519 and RFC 9068, in the order jose made them
 * (so the log reasons did not change): presence, iss, aud, then the dates
 * against `now` (epoch seconds) with the clock tolerance, then the bounds
 * jose does not check (iat not ahead of now, exp within one lifetime of now
 * and of iat), then our own claims. Dates must be finite numbers: JSON's 1e400 parses to Infinity,
 * which would otherwise never expire.
 */
function checkClaims(payload: Record<string, unknown>, config: TokenConfig, now: number): AccessClaims {
  for (const claim of REQUIRED_CLAIMS) {
    if (!Object.hasOwn(payload, claim)) throw new InvalidTokenError(`claim_${claim}`);
  }
  const { iss, aud, sub, role, jti, amr } = payload;
  if (iss !== config.issuer) throw new InvalidTokenError('claim_iss');
  if (!(aud === config.audience || (Array.isArray(aud) && aud.includes(config.audience)))) throw new InvalidTokenError('claim_aud');
  const tolerance = config.clockToleranceSeconds;
  const iat = numericDate(payload, 'iat');
  const nbf = numericDate(payload, 'nbf');
  if (nbf !== undefined && nbf > now + tolerance) throw new InvalidTokenError('claim_nbf');
  const exp = numericDate(payload, 'exp') as number;
  // exp is the first second the token is no longer valid (RFC 7519 section 4.1.4).
  if (exp <= now - tolerance) throw new InvalidTokenError('expired');
  // Nothing we issue is dated in the future or lives longer than the access-token lifetime: a token
  // that claims to (a forged exp a century ahead, a clock gone wrong at the issuer) is refused.
  const lifetime = config.accessTokenTtlSeconds;
  if ((iat as number) > now + tolerance) throw new InvalidTokenError('claim_iat');
  if (exp > now + lifetime + tolerance || exp - (iat as number) > lifetime) throw new InvalidTokenError('claim_exp');
  if (typeof sub !== 'string' || sub.length === 0) throw new InvalidTokenError('bad_sub');
  if (!isRole(role)) throw new InvalidTokenError('bad_role');
  if (typeof jti !== 'string' || jti.length === 0) throw new InvalidTokenError('bad_jti');
  if (amr !== undefined && !(Array.isArray(amr) && amr.length <= AUTH_METHODS.length && amr.every((m) => typeof m === 'string' && m.length <= 16))) {
    throw new InvalidTokenError('bad_amr');
  }
  return { sub, role, amr: (amr as string[] | undefined) ?? [], jti, iat: iat as number, exp, iss: iss as string, aud: aud as string | string[] };
}

function numericDate(payload: Record<string, unknown>, claim: 'iat' | 'nbf' | 'exp'): number | undefined {
  const value = payload[claim];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new InvalidTokenError(`claim_${claim}`);
  return value;
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
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      let escaped = false;
      while (j < text.length && text.charCodeAt(j) !== 0x22) {
        if (text.charCodeAt(j) === 0x5c /* \ */) {
          escaped = true;
          j += 2;
        } else {
          j += 1;
        }
      }
      const start = i;
      i = j + 1;
      while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
      const members = stack[stack.length - 1];
      if (members && text.charCodeAt(i) === 0x3a /* : */) {
        // Escapes spell one name many ways ("r\u006fle" is "role"): compare decoded names.
        const name = escaped ? (JSON.parse(text.slice(start, j + 1)) as string) : text.slice(start + 1, j);
        if (members.has(name)) return true;
        members.add(name);
      }
      continue;
    }
    if (c === 0x7b /* { */) stack.push(new Set());
    else if (c === 0x5b /* [ */) stack.push(null);
    else if (c === 0x7d /* } */ || c === 0x5d /* ] */) stack.pop();
    i++;
  }
  return false;
}
