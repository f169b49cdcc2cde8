/**
 * Where the authorizer reads the published public keys: the SSM parameter
 * through the small SigV4 client (deployed), or the local key file (local
 * stack and tests). Built here rather than with key-store's
 * createPublicKeySource so that the deployed bundle does not load
 * node:fs/promises at every cold start for a file store it never reads:
 * the file branch loads it on first use.
 */
import { join } from 'node:path';
import { AwsJsonClient } from '../keys/aws-client';
import { parsePublicKeyDocument } from '../keys/key-set';
import { AwsKeyStore, KeySourceError, LOCAL_KEY_FILES, type PublicKeySource } from '../keys/key-store';
import type { KeySourceConfig } from '../contract/config';

/** The public half only, whatever the configuration holds: the authorizer is never handed the signing key. */
export function authorizerKeySource(config: KeySourceConfig): PublicKeySource {
  if (config.kind === 'aws') return new AwsKeyStore(new AwsJsonClient({ region: config.region }), config.publicKeysParameter, undefined);
  const file = join(config.dir, LOCAL_KEY_FILES.publicKeys);
  return {
    // The same document, read the way FileKeyStore reads it.
    loadPublicKeys: async () => {
      try {
        const { readFile } = await import('node:fs/promises');
        return parsePublicKeyDocument(await readFile(file, 'utf8'));
      } catch (error) {
        throw new KeySourceError(`public keys: ${error instanceof Error ? `${error.name}: ${error.message}` : 'failed'}`, error);
      }
    },
  };
}
