/**
 * Access tokens: the only modules that sign or verify them, and so the one
 * place that knows the algorithm, the header, the claims, the issuer, the
 * audience, the lifetime and the clock tolerance (RFC 9068, RFC 8725).
 * Signing (here) uses jose; verifying (access-token-verifier.ts) uses
 * node:crypto alone, so that the authorizer's bundle carries no JOSE
 * library. Import the verifier from its own module where bundle size
 * matters; it is re-exported here for everyone else.
 */
import { importJWK, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import type { Role } from '../contract/routes';
import type { TokenConfig } from '../contract/config';
import { SIGNING_ALGORITHM, type SigningKeyRecord } from '../keys/key-set';
import type { SigningKeySource } from '../keys/key-store';
import { ACCESS_TOKEN_TYPE, lowSSignature, type AuthMethod } from './access-token-verifier';

export {
  ACCESS_TOKEN_TYPE,
  AccessTokenVerifier,
  hasDuplicateMembers,
  isCanonicalBase64Url,
  isHighS,
  lowSSignature,
  parseStrictHeader,
  type AccessClaims,
  type AuthMethod,
  type VerificationKeys,
} from './access-token-verifier';

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

  /**
   * `amr` (RFC 8176): how the user signed in, `['pwd']` or `['pwd', 'otp']`; it survives refreshes (refresh-tokens.ts).
   * `emailVerified` becomes the `email_verified` claim (OpenID Connect's name), false when absent.
   */
  async issue(subject: { sub: string; role: Role; amr?: readonly AuthMethod[]; emailVerified?: boolean }): Promise<IssuedAccessToken> {
    const { record, key } = await this.signingKey();
    const iat = Math.floor(this.now() / 1000);
    const ttl = this.config.accessTokenTtlSeconds;
    const signed = await new SignJWT({ role: subject.role, amr: [...(subject.amr ?? ['pwd'])], email_verified: subject.emailVerified === true })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid: record.kid })
      .setIssuer(this.config.issuer)
      .setAudience(this.config.audience)
      .setSubject(subject.sub)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .setJti(randomUUID())
      .sign(key);
    return { accessToken: withLowS(signed), expiresIn: ttl };
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

/**
 * The token with its signature in low-S form. ECDSA (and so jose, and
 * WebCrypto under it) returns either of the two valid s values at random;
 * the verifier accepts only the low one, so that a token has one spelling.
 */
function withLowS(token: string): string {
  const dot = token.lastIndexOf('.');
  return `${token.slice(0, dot + 1)}${lowSSignature(Buffer.from(token.slice(dot + 1), 'base64url')).toString('base64url')}`;
}
