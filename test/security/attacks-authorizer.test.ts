/**
 * The attack suite against the authorizer handler itself, called the way
 * API Gateway calls it: every hostile Authorization header of
 * test/support/hostile-tokens.ts must end in exactly `Unauthorized` (API
 * Gateway's 401), never a policy and never another error (a 5xx).
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { tokenConfig } from '../../lambdas/contract/config';
import { setUpEnvironment } from '../support/environment';
import { ATTACK_CATEGORIES, hostileAuthorizations, type AttackKit } from '../support/hostile-tokens';

const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/api/admin';

let kit: AttackKit;
let authorize: (event: APIGatewayTokenAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

beforeAll(async () => {
  const env = await setUpEnvironment();
  ({ handler: authorize } = await import('../../lambdas/handlers/authorizer'));
  kit = await hostileAuthorizations({ keysDir: env.keysDir, ...tokenConfig() });
});

const event = (authorization: string): APIGatewayTokenAuthorizerEvent => ({ type: 'TOKEN', authorizationToken: authorization, methodArn: METHOD_ARN });

/** `Unauthorized` when refused as API Gateway wants it, `ALLOWED` if a policy came back, else the other error. */
async function outcome(authorization: string): Promise<string> {
  try {
    const result = await authorize(event(authorization));
    return `ALLOWED ${JSON.stringify(result.policyDocument)}`;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

it('lets the untouched baseline through (so every refusal below is down to its mutation)', async () => {
  const result = await authorize(event(kit.validAuthorization));
  expect(result.context).toMatchObject({ role: 'admin' });
});

it('has attacks in every category of the issue', () => {
  for (const category of ATTACK_CATEGORIES) expect([category, kit.attacks.some((a) => a.category === category)]).toEqual([category, true]);
});

it.each(ATTACK_CATEGORIES)('refuses with exactly Unauthorized: %s', async (category) => {
  const attacks = kit.attacks.filter((a) => a.category === category);
  const outcomes = await Promise.all(attacks.map(async (a) => [a.name, await outcome(a.authorization)]));
  expect(outcomes).toEqual(attacks.map((a) => [a.name, 'Unauthorized']));
});

it('still lets the baseline through after every attack (no attack poisoned the key ring or a cache)', async () => {
  await expect(authorize(event(kit.validAuthorization))).resolves.toMatchObject({ principalId: expect.any(String) });
});
