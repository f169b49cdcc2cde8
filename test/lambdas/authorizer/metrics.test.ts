/**
 * The authorizer counts every outcome (allow, deny, reject with reason,
 * failed closed) in the EMF lines it writes, on cache hits as on misses.
 */
import type { APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { createAuthorizer } from '../../../lambdas/authorizer/authorize';
import { generateSigningKey, publicJwkOf, type SigningKeyRecord } from '../../../lambdas/keys/key-set';
import { KeySourceError } from '../../../lambdas/keys/key-store';
import type { TokenConfig } from '../../../lambdas/contract/config';
import { AccessTokenIssuer } from '../../../lambdas/tokens/access-tokens';
import { captureOutput, type Capture } from '../../support/output-capture';

const CONFIG: TokenConfig = { issuer: 'wristband', audience: 'wristband-api', accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 3600, clockToleranceSeconds: 5 };
const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';
const event = (header: string, path = 'GET/api/profile'): APIGatewayTokenAuthorizerEvent => ({ type: 'TOKEN', authorizationToken: header, methodArn: `${STAGE}/${path}` });

let key: SigningKeyRecord;
let capture: Capture;
const counted = () => capture.metrics().map((p) => (p.dimensions.reason ? `${p.name}:${p.dimensions.reason}` : p.name));

beforeAll(async () => {
  key = await generateSigningKey(1);
});

beforeEach(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  capture = captureOutput();
});

afterEach(() => {
  capture.restore();
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

async function tokenFor(role: 'user' | 'admin', amr: readonly ('pwd' | 'otp')[] = ['pwd']) {
  return (await new AccessTokenIssuer({ loadSigningKey: async () => key }, CONFIG, 0).issue({ sub: `${role}-1`, role, amr })).accessToken;
}

it('counts allow and deny, with the verified-token cache as without it', async () => {
  const { handler } = createAuthorizer({ loadPublicKeys: async () => ({ keys: [{ jwk: publicJwkOf(key), publishedAt: 1 }] }) }, CONFIG);
  const user = await tokenFor('user');
  await handler(event(`Bearer ${user}`));
  await handler(event(`Bearer ${user}`, 'GET/api/admin')); // a cache hit, and a route the role may not call
  await handler(event(`Bearer ${await tokenFor('admin')}`, 'DELETE/api/users/42'));
  expect(counted()).toEqual(['AuthorizerAllowed', 'AuthorizerDenied', 'AuthorizerAllowed']);
});

it('counts deny, as its policy denies, for a role that needs a second factor and signed in without one (MFA_REQUIRED_ROLES)', async () => {
  const { handler } = createAuthorizer({ loadPublicKeys: async () => ({ keys: [{ jwk: publicJwkOf(key), publishedAt: 1 }] }) }, { ...CONFIG, mfaRequiredRoles: ['admin'] });
  await handler(event(`Bearer ${await tokenFor('admin')}`, 'GET/api/users'));
  await handler(event(`Bearer ${await tokenFor('admin', ['pwd', 'otp'])}`, 'GET/api/users'));
  await handler(event(`Bearer ${await tokenFor('admin')}`, 'POST/api/mfa/totp'));
  expect(counted()).toEqual(['AuthorizerDenied', 'AuthorizerAllowed', 'AuthorizerAllowed']);
});

it('counts rejections by reason', async () => {
  const { handler } = createAuthorizer({ loadPublicKeys: async () => ({ keys: [{ jwk: publicJwkOf(key), publishedAt: 1 }] }) }, CONFIG);
  const other = await generateSigningKey(2);
  const foreign = (await new AccessTokenIssuer({ loadSigningKey: async () => other }, CONFIG, 0).issue({ sub: 'x', role: 'admin' })).accessToken;
  await expect(handler(event('Basic abc'))).rejects.toThrow('Unauthorized');
  await expect(handler(event('Bearer a.b.c'))).rejects.toThrow('Unauthorized');
  await expect(handler(event(`Bearer ${foreign}`))).rejects.toThrow('Unauthorized');
  expect(counted()).toEqual(['AuthorizerRejected:malformed', 'AuthorizerRejected:malformed', 'AuthorizerRejected:unknown_kid']);
});

it('counts a failure to load keys as failed, not as a rejection', async () => {
  const { handler } = createAuthorizer(
    {
      loadPublicKeys: async () => {
        throw new KeySourceError('down');
      },
    },
    CONFIG,
  );
  await expect(handler(event(`Bearer ${await tokenFor('user')}`))).rejects.not.toThrow('Unauthorized');
  expect(counted()).toEqual(['AuthorizerFailed']);
});
