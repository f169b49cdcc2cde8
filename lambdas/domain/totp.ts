/**
 * TOTP (RFC 6238) and what protects it at rest: the one module that imports
 * otpauth. It owns the parameters (SHA-1, 6 digits, 30 s: what every
 * authenticator app reads from an `otpauth://` URI), the drift window, the
 * encryption of stored secrets and the keyed hashes of recovery codes.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { HOTP, Secret, TOTP as Totp } from 'otpauth';
import { TOTP } from '../contract/settings';

const ALGORITHM = 'SHA1';
const CODE = new RegExp(`^\\d{${TOTP.digits}}$`);

/** A new shared secret, base32 (what apps and the `otpauth://` URI carry). */
export function newTotpSecret(): string {
  return new Secret({ size: TOTP.secretBytes }).base32;
}

/** The provisioning URI an authenticator app scans (as a QR code) or imports. */
export function otpauthUri(secret: string, account: string, issuer: string): string {
  return new Totp({ issuer, label: account, secret: Secret.fromBase32(secret), algorithm: ALGORITHM, digits: TOTP.digits, period: TOTP.periodSeconds }).toString();
}

/** The time step `nowMs` falls in. */
export function stepAt(nowMs: number): number {
  return Math.floor(nowMs / 1000 / TOTP.periodSeconds);
}

/** The code of one time step (tests compute codes with this, as an app would). */
export function codeAt(secret: string, step: number): string {
  return HOTP.generate({ secret: Secret.fromBase32(secret), algorithm: ALGORITHM, digits: TOTP.digits, counter: step });
}

/**
 * The time step `code` belongs to, within `TOTP.driftSteps` of now, or
 * undefined. Every candidate is computed and compared in constant time,
 * with no early exit, so the answer's timing says nothing about which step
 * (or how many digits) matched.
 */
export function matchingStep(secret: string, code: string, nowMs: number): number | undefined {
  const given = Buffer.from(CODE.test(code) ? code : '0'.repeat(TOTP.digits));
  const now = stepAt(nowMs);
  let found: number | undefined;
  for (let delta = -TOTP.driftSteps; delta <= TOTP.driftSteps; delta++) {
    const same = timingSafeEqual(Buffer.from(codeAt(secret, now + delta)), given);
    if (same && found === undefined) found = now + delta;
  }
  return CODE.test(code) ? found : undefined;
}

/**
 * AES-256-GCM with a key derived (HKDF-SHA256) from the stack's TOTP key
 * material (lambdas/keys/totp-key.ts). Each value is bound to its user id
 * (GCM's additional data), so a ciphertext copied onto another user's item
 * does not decrypt.
 */
export class SecretBox {
  private readonly key: Buffer;
  private readonly hmacKey: Buffer;

  constructor(material: string) {
    this.key = Buffer.from(hkdfSync('sha256', material, 'wristband', 'totp secret encryption v1', 32));
    this.hmacKey = Buffer.from(hkdfSync('sha256', material, 'wristband', 'recovery code hashing v1', 32));
  }

  seal(plaintext: string, userId: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(userId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** The plaintext, or undefined for anything this key did not seal for this user. */
  open(sealed: string, userId: string): string | undefined {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== 'v1' || !iv || !body || !tag) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(userId));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }

  /**
   * A recovery code's stored form: HMAC-SHA256 under a key the table does
   * not hold, so a leaked table yields no code even by brute force.
   */
  recoveryHash(code: string): string {
    return createHmac('sha256', this.hmacKey).update(normalizeRecoveryCode(code)).digest('hex');
  }
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
const RECOVERY_LENGTH = 10;

/** Ten characters from a 31-letter alphabet (no 0/o, 1/l/i): about 50 bits each, shown as `xxxxx-xxxxx`. */
export function newRecoveryCode(): string {
  let code = '';
  while (code.length < RECOVERY_LENGTH) {
    // Rejection sampling keeps every letter equally likely.
    for (const byte of randomBytes(16)) if (byte < 248 && code.length < RECOVERY_LENGTH) code += RECOVERY_ALPHABET[byte % RECOVERY_ALPHABET.length];
  }
  return `${code.slice(0, 5)}-${code.slice(5)}`;
}

/** What users type back: any case, with or without the hyphen or spaces. */
export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]+/g, '');
}

/** Whether `hash` is one of `hashes`: every entry compared in constant time, no early exit. */
export function includesHash(hashes: readonly string[], hash: string): boolean {
  const wanted = Buffer.from(hash);
  let found = false;
  for (const candidate of hashes) {
    const bytes = Buffer.from(candidate);
    if (bytes.length === wanted.length && timingSafeEqual(bytes, wanted)) found = true;
  }
  return found;
}
