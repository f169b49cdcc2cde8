/**
 * An in-memory model of the parts of Secrets Manager and SSM that key
 * rotation uses, faithful where rotation depends on it:
 *
 * - a staging label is on at most one version; moving it removes it from
 *   the version that had it;
 * - when AWSCURRENT moves, the version that lost it gets AWSPREVIOUS;
 * - RotateSecret creates the new version (no value yet) labelled AWSPENDING;
 * - PutSecretValue is idempotent per ClientRequestToken (same value: no-op;
 *   another value: ResourceExistsException);
 * - UpdateSecretVersionStage refuses to move a label from a version that
 *   does not hold it;
 * - versions without labels are deprecated and not listed.
 *
 * Exposed two ways: as a RotationBackend (`backend()`), and as an AWS JSON
 * 1.1 HTTP endpoint (`listen()`) for the code that speaks to AWS.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parsePublicKeyDocument, serializePublicKeyDocument, type PublicKeyDocument } from '../../../lambdas/keys/key-set';
import type { RotationBackend } from '../../../lambdas/keys/rotation';

export class FakeAwsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

interface Version {
  value: string | undefined;
  readonly stages: Set<string>;
}

export type FakeEvent =
  | { readonly op: 'putPendingValue'; readonly versionId: string }
  | { readonly op: 'promote'; readonly versionId: string; readonly publishedKids: readonly string[] }
  | { readonly op: 'writePublicKeys'; readonly kids: readonly string[] };

export const PLACEHOLDER = '{"placeholder":"the first rotation replaces this"}';

export class FakeSecrets {
  readonly versions = new Map<string, Version>();
  /** The SSM parameter's text, exactly as stored. */
  parameter: string | undefined;
  readonly events: FakeEvent[] = [];
  /** Fails the next writes of the public key parameter (a crash mid-step). */
  failNextParameterWrites = 0;

  constructor(
    readonly secretName = 'wristband-signing-key',
    readonly parameterName = '/wristband/public-keys',
  ) {
    this.versions.set('initial-version', { value: PLACEHOLDER, stages: new Set(['AWSCURRENT']) });
    this.parameter = '{"keys":[]}';
  }

  /** What RotateSecret does before it invokes the rotation function. */
  startRotation(token: string): void {
    if (this.versions.has(token)) throw new FakeAwsError('InvalidRequestException', 'version exists');
    this.moveLabel('AWSPENDING', token, { value: undefined, stages: new Set() });
  }

  stages(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [id, v] of this.versions) if (v.stages.size > 0) out[id] = [...v.stages].sort();
    return out;
  }

  versionWith(stage: string): string | undefined {
    return [...this.versions].find(([, v]) => v.stages.has(stage))?.[0];
  }

  getSecretValue(select: { versionId?: string; stage?: string }): { versionId: string; value: string; stages: string[] } {
    const id = select.versionId ?? (select.stage ? this.versionWith(select.stage) : this.versionWith('AWSCURRENT'));
    const version = id === undefined ? undefined : this.versions.get(id);
    if (!id || !version || (select.stage && !version.stages.has(select.stage)) || version.value === undefined) {
      throw new FakeAwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret value");
    }
    return { versionId: id, value: version.value, stages: [...version.stages] };
  }

  putSecretValue(token: string, value: string, stages: readonly string[]): void {
    const existing = this.versions.get(token);
    if (existing?.value !== undefined) {
      if (existing.value === value) return;
      throw new FakeAwsError('ResourceExistsException', 'a version with this ClientRequestToken already has another value');
    }
    const version = existing ?? { value: undefined, stages: new Set<string>() };
    version.value = value;
    this.versions.set(token, version);
    for (const stage of stages) this.moveLabel(stage, token, version);
  }

  updateSecretVersionStage(stage: string, moveTo: string | undefined, removeFrom: string | undefined): void {
    const holder = this.versionWith(stage);
    if (holder !== undefined && holder !== moveTo && holder !== removeFrom) {
      throw new FakeAwsError('InvalidParameterException', `${stage} is attached to ${holder}, not ${String(removeFrom)}`);
    }
    if (removeFrom !== undefined && holder !== removeFrom) {
      throw new FakeAwsError('InvalidParameterException', `${stage} is not attached to ${removeFrom}`);
    }
    if (moveTo === undefined) {
      if (holder) this.versions.get(holder)?.stages.delete(stage);
      return;
    }
    const target = this.versions.get(moveTo);
    if (!target) throw new FakeAwsError('ResourceNotFoundException', `no version ${moveTo}`);
    if (holder === moveTo) return;
    this.moveLabel(stage, moveTo, target);
    if (stage === 'AWSCURRENT' && holder) this.moveLabel('AWSPREVIOUS', holder, this.versions.get(holder)!);
  }

  putParameter(value: string, overwrite: boolean): void {
    if (this.parameter !== undefined && !overwrite) throw new FakeAwsError('ParameterAlreadyExists', 'exists');
    if (this.failNextParameterWrites > 0) {
      this.failNextParameterWrites -= 1;
      throw new FakeAwsError('InternalServerError', 'injected failure');
    }
    this.parameter = value;
  }

  publicKeys(): PublicKeyDocument {
    if (this.parameter === undefined) throw new FakeAwsError('ParameterNotFound', 'no parameter');
    return parsePublicKeyDocument(this.parameter);
  }

  private moveLabel(stage: string, to: string, version: Version): void {
    for (const v of this.versions.values()) v.stages.delete(stage);
    version.stages.add(stage);
    this.versions.set(to, version);
  }

  /** The model as rotation.ts's narrow interface. */
  backend(): RotationBackend {
    return {
      versionStages: async () => this.stages(),
      secretValue: async (select) => {
        try {
          return this.getSecretValue({ versionId: 'versionId' in select ? select.versionId : undefined, stage: select.stage }).value;
        } catch (error) {
          if (error instanceof FakeAwsError && error.type === 'ResourceNotFoundException') return undefined;
          throw error;
        }
      },
      putPendingValue: async (versionId, value) => {
        this.putSecretValue(versionId, value, ['AWSPENDING']);
        this.events.push({ op: 'putPendingValue', versionId });
      },
      promote: async (versionId, fromVersionId) => {
        this.events.push({ op: 'promote', versionId, publishedKids: this.publicKeys().keys.map((k) => k.jwk.kid) });
        this.updateSecretVersionStage('AWSCURRENT', versionId, fromVersionId);
      },
      readPublicKeys: async () => this.publicKeys(),
      writePublicKeys: async (doc) => {
        this.putParameter(serializePublicKeyDocument(doc), true);
        this.events.push({ op: 'writePublicKeys', kids: doc.keys.map((k) => k.jwk.kid) });
      },
    };
  }

  /** Serves the model as SSM + Secrets Manager over AWS JSON 1.1; returns the endpoint URL. */
  async listen(): Promise<{ endpoint: string; close: () => Promise<void>; targets: string[] }> {
    const targets: string[] = [];
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target']);
        targets.push(target);
        let status = 200;
        let body: unknown;
        try {
          if (!String(req.headers.authorization).startsWith('AWS4-HMAC-SHA256 ')) throw new FakeAwsError('MissingAuthenticationTokenException', 'unsigned');
          body = this.handle(target, JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
        } catch (error) {
          status = error instanceof FakeAwsError && error.type === 'InternalServerError' ? 500 : 400;
          body = error instanceof FakeAwsError ? { __type: `com.amazonaws.fake#${error.type}`, message: error.message } : { __type: 'InternalFailure', message: String(error) };
        }
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      targets,
      close: async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  }

  private secretMatches(id: unknown): void {
    if (id !== this.secretName) throw new FakeAwsError('ResourceNotFoundException', `no secret ${String(id)}`);
  }

  private handle(target: string, input: Record<string, unknown>): unknown {
    switch (target) {
      case 'secretsmanager.DescribeSecret':
        this.secretMatches(input.SecretId);
        return { Name: this.secretName, VersionIdsToStages: this.stages() };
      case 'secretsmanager.GetSecretValue': {
        this.secretMatches(input.SecretId);
        const out = this.getSecretValue({ versionId: input.VersionId as string | undefined, stage: input.VersionStage as string | undefined });
        return { Name: this.secretName, VersionId: out.versionId, SecretString: out.value, VersionStages: out.stages };
      }
      case 'secretsmanager.PutSecretValue':
        this.secretMatches(input.SecretId);
        this.putSecretValue(String(input.ClientRequestToken), String(input.SecretString), (input.VersionStages as string[] | undefined) ?? ['AWSCURRENT']);
        return { Name: this.secretName, VersionId: input.ClientRequestToken };
      case 'secretsmanager.UpdateSecretVersionStage':
        this.secretMatches(input.SecretId);
        this.updateSecretVersionStage(String(input.VersionStage), input.MoveToVersionId as string | undefined, input.RemoveFromVersionId as string | undefined);
        return { Name: this.secretName };
      case 'AmazonSSM.GetParameter':
        if (input.Name !== this.parameterName || this.parameter === undefined) throw new FakeAwsError('ParameterNotFound', `no parameter ${String(input.Name)}`);
        return { Parameter: { Name: this.parameterName, Type: 'String', Value: this.parameter } };
      case 'AmazonSSM.PutParameter':
        if (input.Name !== this.parameterName) throw new FakeAwsError('AccessDeniedException', 'not this parameter');
        this.putParameter(String(input.Value), input.Overwrite === true);
        return { Version: 1 };
      default:
        throw new FakeAwsError('UnknownOperationException', target);
    }
  }
}

export const FAKE_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:wristband-signing-key-AbCdEf';
export const FAKE_PUBLIC_KEYS_PARAMETER = '/wristband/test/public-keys';
/** The events Secrets Manager sends for one rotation, in order. */
export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

/**
 * Serves a fresh model over HTTP and points the environment at it the way
 * the deployed rotation function is wired (AWS key store, endpoint, fake
 * credentials). Import the handler afterwards; call `close()` when done.
 */
export async function serveFakeAwsKeys(): Promise<{ fake: FakeSecrets; endpoint: string; targets: string[]; close: () => Promise<void> }> {
  const fake = new FakeSecrets(FAKE_SECRET_ARN, FAKE_PUBLIC_KEYS_PARAMETER);
  const server = await fake.listen();
  delete process.env.LOCAL_KEYS_DIR;
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_ENDPOINT_URL: server.endpoint,
    SIGNING_KEY_SECRET_ID: FAKE_SECRET_ARN,
    PUBLIC_KEYS_PARAMETER: FAKE_PUBLIC_KEYS_PARAMETER,
  });
  return { fake, endpoint: server.endpoint, targets: server.targets, close: server.close };
}
