/**
 * Where keys live. Two narrow interfaces, so that verifiers can only ever
 * be handed the public half:
 *
 * - `PublicKeySource`: the published key set (authorizer, JWKS handler, issuers).
 * - `SigningKeySource`: the current private key (login and refresh only).
 *
 * Deployed: an SSM parameter and a Secrets Manager secret. Local stack and
 * tests: two JSON files in a directory. Both hold the same documents.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KeySourceConfig } from '../contract/config';
import { ServiceUnavailableError } from '../contract/errors';
import { KEY_PUBLISH_LEAD_SECONDS } from '../contract/settings';
import { AwsJsonClient, AwsServiceError } from './aws-client';
import {
  KeyFormatError,
  parsePublicKeyDocument,
  publishedLongEnough,
  parseSigningKey,
  serializePublicKeyDocument,
  type PublicKeyDocument,
  type SigningKeyRecord,
} from './key-set';

export interface PublicKeySource {
  loadPublicKeys(): Promise<PublicKeyDocument>;
}

export interface SigningKeySource {
  loadSigningKey(): Promise<SigningKeyRecord>;
}

/** The key store could not be read or holds no usable key: fail closed, answer 503. */
export class KeySourceError extends ServiceUnavailableError {}

async function guarded<T>(what: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof KeySourceError) throw error;
    throw new KeySourceError(`${what}: ${error instanceof Error ? `${error.name}: ${error.message}` : 'failed'}`, error);
  }
}

export const LOCAL_KEY_FILES = { signingKey: 'signing-key.json', publicKeys: 'public-keys.json' } as const;

/** Keys as files in a directory: the local stack's stand-in for Secrets Manager and SSM. */
export class FileKeyStore implements PublicKeySource, SigningKeySource {
  constructor(readonly dir: string) {}

  loadPublicKeys(): Promise<PublicKeyDocument> {
    return guarded('public keys', async () => parsePublicKeyDocument(await readFile(join(this.dir, LOCAL_KEY_FILES.publicKeys), 'utf8')));
  }

  loadSigningKey(): Promise<SigningKeyRecord> {
    return guarded('signing key', async () => parseSigningKey(await readFile(join(this.dir, LOCAL_KEY_FILES.signingKey), 'utf8')));
  }

  async writePublicKeys(doc: PublicKeyDocument): Promise<void> {
    await atomicWrite(join(this.dir, LOCAL_KEY_FILES.publicKeys), serializePublicKeyDocument(doc), 0o644);
  }

  async writeSigningKey(key: SigningKeyRecord): Promise<void> {
    await atomicWrite(join(this.dir, LOCAL_KEY_FILES.signingKey), JSON.stringify(key), 0o600);
  }
}

/** Write-then-rename: a reader never sees half a key file, even if the process dies mid-write. */
async function atomicWrite(path: string, text: string, mode: number): Promise<void> {
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(temp, text, { mode });
  await rename(temp, path);
}

/** Keys in AWS: the public set in an SSM parameter, the private key in Secrets Manager. */
export class AwsKeyStore implements PublicKeySource, SigningKeySource {
  constructor(
    private readonly client: AwsJsonClient,
    private readonly publicKeysParameter: string,
    private readonly signingKeySecretId: string | undefined,
    private readonly timeline: { readonly publishLeadSeconds?: number; readonly now?: () => number } = {},
  ) {}

  loadPublicKeys(): Promise<PublicKeyDocument> {
    return guarded('public keys', async () => {
      const out = await this.client.call('ssm', 'GetParameter', { Name: this.publicKeysParameter });
      const value = (out.Parameter as { Value?: unknown } | undefined)?.Value;
      if (typeof value !== 'string') throw new KeySourceError('public keys: parameter has no value');
      return parsePublicKeyDocument(value);
    });
  }

  /**
   * The key to sign with: AWSCURRENT once it has been published for
   * KEY_PUBLISH_LEAD_SECONDS, so that a verifier following the JWKS and its
   * cache headers has it; until then AWSPREVIOUS, if that is a published
   * key. Rotation promotes a new key at once and leaves the wait to this
   * choice. With no previous key (the very first one) or a previous key no
   * longer published (removed after a compromise), the current key signs
   * at once.
   */
  loadSigningKey(): Promise<SigningKeyRecord> {
    return guarded('signing key', async () => {
      // Before the first rotation has run, the secret holds a placeholder: fail closed until it has.
      const current = parseSigningKey(await this.secretAt('AWSCURRENT'));
      const doc = await this.loadPublicKeys();
      const now = Math.floor((this.timeline.now ?? Date.now)() / 1000);
      const lead = this.timeline.publishLeadSeconds ?? KEY_PUBLISH_LEAD_SECONDS;
      if (publishedLongEnough(doc, current.kid, now, lead)) return current;
      const previous = await this.previousKey();
      return previous && doc.keys.some((k) => k.jwk.kid === previous.kid) ? previous : current;
    });
  }

  private async secretAt(stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<string> {
    if (!this.signingKeySecretId) throw new KeySourceError('signing key: this function has no signing key secret');
    const out = await this.client.call('secretsmanager', 'GetSecretValue', { SecretId: this.signingKeySecretId, VersionStage: stage });
    if (typeof out.SecretString !== 'string') throw new KeySourceError('signing key: secret has no string value');
    return out.SecretString;
  }

  /** AWSPREVIOUS as a key, or undefined: absent, or the placeholder the first rotation replaced. */
  private async previousKey(): Promise<SigningKeyRecord | undefined> {
    try {
      return parseSigningKey(await this.secretAt('AWSPREVIOUS'));
    } catch (error) {
      if (error instanceof KeyFormatError || (error instanceof AwsServiceError && error.type === 'ResourceNotFoundException')) return undefined;
      throw error;
    }
  }
}

/** For verifiers: the public half only, whatever the configuration holds. */
export function createPublicKeySource(config: KeySourceConfig): PublicKeySource {
  const store = createKeyStore({ ...config, ...(config.kind === 'aws' ? { signingKeySecretId: undefined } : {}) });
  return { loadPublicKeys: () => store.loadPublicKeys() };
}

/**
 * For issuers: both halves. The one place the file-or-AWS choice is made;
 * `client` builds the AWS client (createTracedKeyStore passes a traced one).
 * The authorizer's public-only source (authorizer/key-source.ts) reads the
 * same file lazily, to keep node:fs out of its cold start.
 */
export function createKeyStore(
  config: KeySourceConfig,
  client: (region: string) => AwsJsonClient = (region) => new AwsJsonClient({ region }),
): PublicKeySource & SigningKeySource {
  if (config.kind === 'file') return new FileKeyStore(config.dir);
  return new AwsKeyStore(client(config.region), config.publicKeysParameter, config.signingKeySecretId);
}
