/**
 * Passwords: the policy (NIST SP 800-63B rev. 4) and bcrypt, in one module
 * that owns the cost. Nothing else imports bcryptjs.
 */
import bcrypt from 'bcryptjs';
import { dictionary } from '@zxcvbn-ts/language-common';
import type { PasswordConfig } from '../contract/config';
import { LIMITS } from '../contract/settings';

let commonPasswords: Set<string> | undefined;

/**
 * The commonly used and breached passwords we refuse: zxcvbn-ts's list
 * (about 49,000 entries, most frequent first, from real password dumps),
 * lower-cased. Built on first use so that functions that never check a
 * new password do not pay for it.
 */
function isCommon(password: string): boolean {
  commonPasswords ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return commonPasswords.has(password.toLowerCase());
}

/**
 * NIST asks verifiers to normalise Unicode so that the same password typed
 * on two keyboards hashes the same. NFKC, applied before every check and
 * every hash.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Why a new password is refused, or undefined if it is acceptable. */
export function passwordProblem(password: string, config: Pick<PasswordConfig, 'minLength'>): string | undefined {
  const normalized = normalizePassword(password);
  // Counted in code points (NIST SP 800-63B) both as typed and as hashed: NFKC can expand one typed character into
  // many (U+FDFA is 18 after NFKC) or merge several into one, and neither may carry a short password past the minimum.
  if (Math.min([...password].length, [...normalized].length) < config.minLength) return `must be at least ${config.minLength} characters`;
  // bcrypt reads at most 72 bytes; a longer password would be silently cut, so refuse it.
  if (Buffer.byteLength(normalized, 'utf8') > LIMITS.passwordMaxBytes) return `must be at most ${LIMITS.passwordMaxBytes} bytes of UTF-8`;
  if (isCommon(normalized)) return 'is too common: it appears in lists of breached passwords';
  return undefined;
}

export class PasswordHasher {
  private readonly dummyHash: string;

  constructor(readonly cost: number) {
    // A well-formed hash at our cost that no password matches: comparing
    // against it costs exactly what a real comparison costs, so an unknown
    // email takes as long as a wrong password.
    this.dummyHash = bcrypt.genSaltSync(cost) + 'x'.repeat(31);
  }

  hash(password: string): Promise<string> {
    return bcrypt.hash(normalizePassword(password), this.cost);
  }

  /** Compares in bcrypt's constant time. With no hash (unknown user), burns the same time and returns false. */
  async verify(password: string, hash: string | undefined): Promise<boolean> {
    const candidate = normalizePassword(password);
    if (Buffer.byteLength(candidate, 'utf8') > LIMITS.passwordMaxBytes) {
      // Never a valid password; still spend the time so length reveals nothing.
      await bcrypt.compare(candidate.slice(0, LIMITS.passwordMaxBytes), this.dummyHash);
      return false;
    }
    if (hash === undefined) {
      await bcrypt.compare(candidate, this.dummyHash);
      return false;
    }
    return bcrypt.compare(candidate, hash);
  }
}
