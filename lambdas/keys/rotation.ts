/**
 * Signing-key rotation, in Secrets Manager's four steps. Every step is
 * idempotent (Secrets Manager retries them):
 *
 * 1. createSecret: a new ES256 key becomes the secret's AWSPENDING version.
 * 2. setSecret: its public key is published (before it can sign anything).
 * 3. testSecret: the published key verifies what the pending key signs.
 * 4. finishSecret: the pending version becomes AWSCURRENT. Issuers sign
 *    with it once it has been published for KEY_PUBLISH_LEAD_SECONDS (the
 *    previous key until then: see AwsKeyStore.loadSigningKey), so nothing
 *    waits here. Every other key is marked retired from that moment, and
 *    retired keys whose tokens have all expired leave the published set.
 *    It refuses a key that is not published, and a retry after the
 *    promotion still completes the retirement.
 *
 * The first deploy rotates once immediately, which creates the first key.
 */
import { CompactSign, compactVerify, importJWK } from 'jose';
import {
  generateSigningKey,
  handoverAt,
  parseSigningKey,
  publicJwkOf,
  publishKey,
  retireAllBut,
  serializePublicKeyDocument,
  SIGNING_ALGORITHM,
  type PublicKeyDocument,
  type SigningKeyRecord,
} from './key-set';
import { AwsServiceError, type AwsJsonClient } from './aws-client';
import { AwsKeyStore } from './key-store';
import { KEY_PUBLISH_LEAD_SECONDS } from '../contract/settings';

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: RotationStep;
}

/** What rotation needs from Secrets Manager and SSM; the AWS version is below, tests use a faithful in-memory one. */
export interface RotationBackend {
  /** Version id -> staging labels. */
  versionStages(): Promise<Record<string, string[]>>;
  /** The secret string of a version, or undefined if that version has no value (yet). */
  secretValue(select: { versionId: string; stage?: string } | { stage: string }): Promise<string | undefined>;
  putPendingValue(versionId: string, value: string): Promise<void>;
  /** Moves AWSCURRENT to `versionId` (from `fromVersionId`). */
  promote(versionId: string, fromVersionId: string | undefined): Promise<void>;
  readPublicKeys(): Promise<PublicKeyDocument>;
  writePublicKeys(doc: PublicKeyDocument): Promise<void>;
}

export class RotationError extends Error {
  override name = 'RotationError';
}

export interface RotationOptions {
  /** How long a retired key stays published (see retireAllBut). */
  readonly keepRetiredSeconds: number;
  /**
   * How long a new key is published before issuers sign with it
   * (KEY_PUBLISH_LEAD_SECONDS); the key it replaces is retired from then.
   */
  readonly publishLeadSeconds?: number;
  readonly now?: () => number;
}

export async function rotate(backend: RotationBackend, event: RotationEvent, options: RotationOptions): Promise<void> {
  const nowSeconds = () => Math.floor((options.now ?? Date.now)() / 1000);
  const token = event.ClientRequestToken;
  const stages = await backend.versionStages();
  const tokenStages = stages[token];
  if (!tokenStages) throw new RotationError(`secret version ${token} does not exist`);
  const alreadyCurrent = tokenStages.includes('AWSCURRENT');
  // Already promoted: nothing to do, except that a retried finishSecret must still finish the retirement (below).
  if (alreadyCurrent && event.Step !== 'finishSecret') return;
  if (!alreadyCurrent && !tokenStages.includes('AWSPENDING')) throw new RotationError(`secret version ${token} is not AWSPENDING`);

  const pending = async (): Promise<SigningKeyRecord> => {
    const value = await backend.secretValue({ versionId: token, stage: 'AWSPENDING' });
    if (value === undefined) throw new RotationError('pending version has no value');
    return parseSigningKey(value);
  };

  switch (event.Step) {
    case 'createSecret': {
      if ((await backend.secretValue({ versionId: token, stage: 'AWSPENDING' })) !== undefined) return;
      const key = await generateSigningKey(nowSeconds());
      await backend.putPendingValue(token, JSON.stringify(key));
      return;
    }
    case 'setSecret': {
      const key = await pending();
      const doc = await backend.readPublicKeys();
      const next = publishKey(doc, publicJwkOf(key), nowSeconds());
      if (next !== doc) await backend.writePublicKeys(next);
      return;
    }
    case 'testSecret': {
      const key = await pending();
      const published = (await backend.readPublicKeys()).keys.find((k) => k.jwk.kid === key.kid);
      if (!published) throw new RotationError('pending key is not published');
      await assertKeyPairMatches(key, published.jwk);
      return;
    }
    case 'finishSecret': {
      const value = await backend.secretValue({ versionId: token });
      if (value === undefined) throw new RotationError('pending version has no value');
      const key = parseSigningKey(value);
      const doc = await backend.readPublicKeys();
      // Never make current a key verifiers cannot find (steps run out of order, a manual invocation).
      if (!doc.keys.some((k) => k.jwk.kid === key.kid)) throw new RotationError('pending key is not published');
      // The key that signed until now: AWSCURRENT before the promotion, AWSPREVIOUS after it (a retried step).
      const previousVersion = Object.entries(stages).find(([, labels]) => labels.includes(alreadyCurrent ? 'AWSPREVIOUS' : 'AWSCURRENT'))?.[0];
      const previousKid = previousVersion === undefined ? undefined : await kidOf(backend, previousVersion);
      // No wait here: issuers keep signing with the previous key until this one has been published for the lead.
      if (!alreadyCurrent) await backend.promote(token, previousVersion);
      const now = nowSeconds();
      const retiredAt = handoverAt(doc, key.kid, now, options.publishLeadSeconds ?? KEY_PUBLISH_LEAD_SECONDS);
      const next = retireAllBut(doc, key.kid, now, options.keepRetiredSeconds, { previousKid, retiredAt });
      if (serializePublicKeyDocument(next) !== serializePublicKeyDocument(doc)) await backend.writePublicKeys(next);
      return;
    }
    default:
      throw new RotationError(`unknown rotation step ${String(event.Step)}`);
  }
}

/** The kid of a secret version, or undefined (no value, or the placeholder the stack creates). */
async function kidOf(backend: RotationBackend, versionId: string): Promise<string | undefined> {
  const value = await backend.secretValue({ versionId });
  if (value === undefined) return undefined;
  try {
    return parseSigningKey(value).kid;
  } catch {
    return undefined;
  }
}

async function assertKeyPairMatches(key: SigningKeyRecord, publicJwk: SigningKeyRecord['privateJwk'] | Omit<SigningKeyRecord['privateJwk'], 'd'>) {
  const probe = new TextEncoder().encode(`rotation probe ${key.kid}`);
  const signed = await new CompactSign(probe)
    .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: key.kid })
    .sign(await importJWK({ ...key.privateJwk }, SIGNING_ALGORITHM));
  try {
    await compactVerify(signed, await importJWK({ ...publicJwk }, SIGNING_ALGORITHM));
  } catch {
    throw new RotationError('published public key does not match the pending private key');
  }
}

/** The AWS backend: Secrets Manager for the private key, SSM for the public set. */
export function awsRotationBackend(client: AwsJsonClient, secretId: string, parameterName: string): RotationBackend {
  return {
    async versionStages() {
      const out = await client.call('secretsmanager', 'DescribeSecret', { SecretId: secretId });
      return (out.VersionIdsToStages ?? {}) as Record<string, string[]>;
    },
    async secretValue(select) {
      try {
        const out = await client.call('secretsmanager', 'GetSecretValue', {
          SecretId: secretId,
          ...('versionId' in select ? { VersionId: select.versionId } : {}),
          ...(select.stage ? { VersionStage: select.stage } : {}),
        });
        return typeof out.SecretString === 'string' ? out.SecretString : undefined;
      } catch (error) {
        if (error instanceof AwsServiceError && error.type === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    },
    async putPendingValue(versionId, value) {
      await client.call('secretsmanager', 'PutSecretValue', {
        SecretId: secretId,
        ClientRequestToken: versionId,
        SecretString: value,
        VersionStages: ['AWSPENDING'],
      });
    },
    async promote(versionId, fromVersionId) {
      await client.call('secretsmanager', 'UpdateSecretVersionStage', {
        SecretId: secretId,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: versionId,
        ...(fromVersionId ? { RemoveFromVersionId: fromVersionId } : {}),
      });
    },
    async readPublicKeys() {
      try {
        return await new AwsKeyStore(client, parameterName, undefined).loadPublicKeys();
      } catch (error) {
        // The first rotation creates the parameter (the stack does not: see lib/constructs/signing-keys.ts).
        if (error instanceof Error && error.cause instanceof AwsServiceError && error.cause.type === 'ParameterNotFound') return { keys: [] };
        throw error;
      }
    },
    async writePublicKeys(doc) {
      await client.call('ssm', 'PutParameter', { Name: parameterName, Value: serializePublicKeyDocument(doc), Type: 'String', Overwrite: true });
    },
  };
}
