/**
 * The key material TOTP secrets are encrypted with at rest (lambdas/domain/totp.ts).
 *
 * Deployed: a Secrets Manager secret of its own (lib/constructs/signing-keys.ts `totpKey`), 64 random
 * characters CloudFormation generates at create and never rotates, readable by the four functions that
 * enrol, confirm, check or remove a second factor and by nothing else. Local stack and tests: a file
 * `totp-key` next to the signing keys, created on first use. Not the signing key: that one rotates
 * every 30 days (every stored secret would become unreadable) and is read by token issuers that
 * have no business with TOTP secrets. Not KMS: a decrypt call per sign-in, and a second AWS client.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WIRING_ENV } from '../contract/settings';
import { KeySourceError } from './key-store';
import { AwsJsonClient } from './aws-client';

export const LOCAL_TOTP_KEY_FILE = 'totp-key';

export interface TotpKeySource {
  /** The key material (at least 32 bytes of entropy), as stored. */
  load(): Promise<string>;
}

/** A file in the local key directory; the first caller writes it (exclusively: concurrent first calls agree). */
export class FileTotpKey implements TotpKeySource {
  constructor(private readonly dir: string) {}

  async load(): Promise<string> {
    const path = join(this.dir, LOCAL_TOTP_KEY_FILE);
    try {
      await writeFile(path, randomBytes(48).toString('base64url'), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw new KeySourceError('totp key: cannot write the local key file', error);
    }
    const text = (await readFile(path, 'utf8')).trim();
    // A file caught half-written by a concurrent first start: wait for the writer rather than use a short key.
    if (text.length < 32) throw new KeySourceError('totp key: the local key file is incomplete');
    return text;
  }
}

export class AwsTotpKey implements TotpKeySource {
  constructor(
    private readonly client: AwsJsonClient,
    private readonly secretId: string,
  ) {}

  async load(): Promise<string> {
    try {
      const out = await this.client.call('secretsmanager', 'GetSecretValue', { SecretId: this.secretId });
      if (typeof out.SecretString !== 'string' || out.SecretString.length < 32) throw new KeySourceError('totp key: secret has no usable value');
      return out.SecretString;
    } catch (error) {
      if (error instanceof KeySourceError) throw error;
      throw new KeySourceError(`totp key: ${error instanceof Error ? error.name : 'failed'}`, error);
    }
  }
}

/** The source the environment names: LOCAL_KEYS_DIR wins (local stack, tests), else the secret. */
export function totpKeySourceFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): TotpKeySource {
  const dir = env[WIRING_ENV.localKeysDir]?.trim();
  if (dir) return new FileTotpKey(dir);
  const secretId = env[WIRING_ENV.totpKeySecretId]?.trim();
  const region = env.AWS_REGION?.trim();
  // Unwired: every second-factor step fails closed (503) when it needs the key, and nothing else is affected.
  if (!secretId || !region) return { load: () => Promise.reject(new KeySourceError(`totp key: ${WIRING_ENV.totpKeySecretId} and AWS_REGION must be set`)) };
  return new AwsTotpKey(new AwsJsonClient({ region }), secretId);
}
