/**
 * The two key documents and their formats, shared by AWS and the local file
 * store:
 *
 * - the signing key (private; Secrets Manager, one key per secret version):
 *   `{"kid", "privateJwk", "createdAt"}`
 * - the public key set (SSM parameter or file): every key a verifier must
 *   accept, with when it was published and when it stopped signing:
 *   `{"keys": [{"jwk", "publishedAt", "retiredAt"?}]}`
 *
 * Parsing is strict: a public document carrying private material, or a key
 * that is not ES256/P-256, is refused rather than used.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { KEY_TIMELINE_MARGIN_SECONDS } from '../contract/settings';

export const SIGNING_ALGORITHM = 'ES256';

export interface PublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly kid: string;
  readonly alg: 'ES256';
  readonly use: 'sig';
}

export interface PrivateJwk extends PublicJwk {
  readonly d: string;
}

export interface SigningKeyRecord {
  readonly kid: string;
  readonly privateJwk: PrivateJwk;
  /** Epoch seconds. */
  readonly createdAt: number;
}

export interface PublishedKey {
  readonly jwk: PublicJwk;
  /** Epoch seconds the key was first published. */
  readonly publishedAt: number;
  /** Epoch seconds issuers stop (or stopped) signing with the key; absent while it is current. */
  readonly retiredAt?: number;
}

export interface PublicKeyDocument {
  readonly keys: readonly PublishedKey[];
}

export class KeyFormatError extends Error {
  override name = 'KeyFormatError';
}

const B64URL = /^[A-Za-z0-9_-]+$/;
/** A P-256 coordinate or private scalar is 32 bytes: 43 base64url characters. */
const P256_PART = /^[A-Za-z0-9_-]{43}$/;

/** Creates a new ES256 signing key with an RFC 7638 thumbprint as `kid`. */
export async function generateSigningKey(now: number): Promise<SigningKeyRecord> {
  const { privateKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as JWK);
  const privateJwk = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, d: jwk.d, kid, alg: 'ES256', use: 'sig' } as PrivateJwk;
  return { kid, privateJwk, createdAt: now };
}

export function publicJwkOf(key: SigningKeyRecord): PublicJwk {
  const { kty, crv, x, y, kid, alg, use } = key.privateJwk;
  return { kty, crv, x, y, kid, alg, use };
}

function parsePublicJwk(value: unknown, allowPrivate: boolean): PublicJwk | PrivateJwk {
  if (!value || typeof value !== 'object') throw new KeyFormatError('key is not an object');
  const jwk = value as Record<string, unknown>;
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw new KeyFormatError('key is not an EC P-256 key');
  if (jwk.alg !== undefined && jwk.alg !== SIGNING_ALGORITHM) throw new KeyFormatError('key is not for ES256');
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new KeyFormatError('key is not a signing key');
  if (typeof jwk.kid !== 'string' || jwk.kid.length === 0 || jwk.kid.length > 128 || !B64URL.test(jwk.kid)) {
    throw new KeyFormatError('key has no valid kid');
  }
  if (typeof jwk.x !== 'string' || !P256_PART.test(jwk.x) || typeof jwk.y !== 'string' || !P256_PART.test(jwk.y)) {
    throw new KeyFormatError('key has invalid coordinates');
  }
  const base = { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid: jwk.kid, alg: 'ES256', use: 'sig' } as const;
  if (jwk.d !== undefined) {
    if (!allowPrivate) throw new KeyFormatError('public key document contains private key material');
    if (typeof jwk.d !== 'string' || !P256_PART.test(jwk.d)) throw new KeyFormatError('key has an invalid private part');
    return { ...base, d: jwk.d };
  }
  return base;
}

function epochSeconds(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new KeyFormatError(`${what} is not epoch seconds`);
  return value;
}

export function parseSigningKey(text: string): SigningKeyRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KeyFormatError('signing key is not JSON');
  }
  if (!value || typeof value !== 'object') throw new KeyFormatError('signing key is not an object');
  const record = value as Record<string, unknown>;
  const privateJwk = parsePublicJwk(record.privateJwk, true);
  if (!('d' in privateJwk)) throw new KeyFormatError('signing key has no private part');
  if (record.kid !== privateJwk.kid) throw new KeyFormatError('signing key kid does not match its JWK');
  return { kid: privateJwk.kid, privateJwk, createdAt: epochSeconds(record.createdAt, 'createdAt') };
}

export function parsePublicKeyDocument(text: string): PublicKeyDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KeyFormatError('public key document is not JSON');
  }
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new KeyFormatError('public key document has no keys array');
  const seen = new Set<string>();
  const parsed = keys.map((entry: unknown): PublishedKey => {
    const e = (entry ?? {}) as Record<string, unknown>;
    const jwk = parsePublicJwk(e.jwk, false) as PublicJwk;
    if (seen.has(jwk.kid)) throw new KeyFormatError('public key document repeats a kid');
    seen.add(jwk.kid);
    const publishedAt = epochSeconds(e.publishedAt, 'publishedAt');
    return e.retiredAt === undefined ? { jwk, publishedAt } : { jwk, publishedAt, retiredAt: epochSeconds(e.retiredAt, 'retiredAt') };
  });
  return { keys: parsed };
}

export function serializePublicKeyDocument(doc: PublicKeyDocument): string {
  return JSON.stringify({ keys: doc.keys });
}

/** The JWKS the contract publishes: public JWKs only. */
export function toJwks(doc: PublicKeyDocument): { keys: PublicJwk[] } {
  return { keys: doc.keys.map((k) => k.jwk) };
}

/**
 * Adds a key to the published set (idempotent), before it signs anything.
 */
export function publishKey(doc: PublicKeyDocument, jwk: PublicJwk, now: number): PublicKeyDocument {
  if (doc.keys.some((k) => k.jwk.kid === jwk.kid)) return doc;
  return { keys: [...doc.keys, { jwk, publishedAt: now }] };
}

/**
 * True when `kid` has been published for at least `leadSeconds`: long enough
 * that every verifier following the published set has it (see
 * KEY_PUBLISH_LEAD_SECONDS). Issuers sign only with such a key.
 */
export function publishedLongEnough(doc: PublicKeyDocument, kid: string, now: number, leadSeconds: number): boolean {
  const key = doc.keys.find((k) => k.jwk.kid === kid);
  return key !== undefined && now - key.publishedAt >= leadSeconds;
}

/**
 * When issuers stop signing with the key `currentKid` replaces: once the new
 * key has been published for the lead (issuers sign with the previous key
 * until then), and not before now.
 */
export function handoverAt(doc: PublicKeyDocument, currentKid: string, now: number, leadSeconds: number): number {
  const current = doc.keys.find((k) => k.jwk.kid === currentKid);
  return current === undefined ? now : Math.max(now, current.publishedAt + leadSeconds);
}

/**
 * Marks every key but `currentKid` as retired at `retiredAt` (if not
 * already), and drops retired keys whose tokens have all expired: a key
 * retired at `t` may have signed tokens until `t + signerCacheSeconds`
 * (issuers cache the key), and those live `accessTokenTtlSeconds` plus the
 * verifiers' clock tolerance.
 *
 * `previousKid` is the key that was current until this rotation. A
 * `retiredAt` it carries from before the current key was published is from
 * an earlier retirement: the key became current again since (a manual
 * rollback of the secret's AWSCURRENT label) and signed until now, so it
 * is retired afresh rather than pruned at once.
 */
export function retireAllBut(
  doc: PublicKeyDocument,
  currentKid: string,
  now: number,
  keepRetiredForSeconds: number,
  handover: { readonly previousKid?: string | undefined; readonly retiredAt?: number } = {},
): PublicKeyDocument {
  const currentPublishedAt = doc.keys.find((k) => k.jwk.kid === currentKid)?.publishedAt;
  const keys: PublishedKey[] = [];
  for (const key of doc.keys) {
    if (key.jwk.kid === currentKid) {
      keys.push({ jwk: key.jwk, publishedAt: key.publishedAt });
      continue;
    }
    const stale =
      key.jwk.kid === handover.previousKid && key.retiredAt !== undefined && currentPublishedAt !== undefined && key.retiredAt < currentPublishedAt;
    const retiredAt = stale ? (handover.retiredAt ?? now) : (key.retiredAt ?? handover.retiredAt ?? now);
    if (now - retiredAt > keepRetiredForSeconds) continue;
    keys.push({ ...key, retiredAt });
  }
  return { keys };
}

/**
 * How long a retired key must stay published: an issuer may keep signing
 * with it for as long as it caches the key, and the last such token lives
 * for the access-token lifetime plus the verifiers' clock tolerance. The
 * margin covers clock differences between functions.
 */
export function retiredKeyLifetimeSeconds(options: {
  accessTokenTtlSeconds: number;
  clockToleranceSeconds: number;
  signingKeyCacheSeconds: number;
}): number {
  return options.signingKeyCacheSeconds + options.accessTokenTtlSeconds + options.clockToleranceSeconds + KEY_TIMELINE_MARGIN_SECONDS;
}
