/**
 * The attack suite over HTTP against the local stack: API Gateway's
 * identity validation, the same authorizer, the policy cache and the
 * handlers. Every hostile Authorization header of
 * test/support/hostile-tokens.ts gets 401 with the contract's error body
 * and CORS headers: never a 2xx, 403 or 5xx. A header over API Gateway's
 * 10,240-byte cap never reaches the authorizer: API Gateway refuses it with
 * its own bare answer (status undocumented), so all a client can count on
 * is "refused, never 2xx".
 */
import { join } from 'node:path';
import { tokenConfig } from '../../lambdas/contract/config';
import { MAX_HEADER_VALUE_BYTES } from '../../local/aws-limits';
import { ATTACK_CATEGORIES, hostileAuthorizations, type AttackKit } from '../support/hostile-tokens';
import { startTestStack, type RunningStack } from '../support/local-stack';

let running: RunningStack;
let kit: AttackKit;

beforeAll(async () => {
  running = await startTestStack();
  kit = await hostileAuthorizations({ keysDir: join(running.dataDir, 'keys'), ...tokenConfig() });
});

afterAll(async () => {
  await running.stack.stop();
});

const call = (authorization: string) => running.api('GET', '/api/admin', { headers: { Authorization: authorization } });

it('lets the untouched baseline through to the admin route (200)', async () => {
  const response = await call(kit.validAuthorization);
  expect(response.status).toBe(200);
  expect(response.json.message).toBe('Admin dashboard');
});

const oversized = (authorization: string) => Buffer.byteLength(authorization) > MAX_HEADER_VALUE_BYTES;

it.each(ATTACK_CATEGORIES)('answers 401 with the contract body (or refuses an oversized header before the authorizer): %s', async (category) => {
  const attacks = kit.attacks.filter((a) => a.category === category);
  const answers = [];
  for (const attack of attacks) {
    const invocations = running.stack.gateway.stats.authorizerInvocations;
    const response = await call(attack.authorization);
    answers.push(
      oversized(attack.authorization)
        ? [attack.name, response.status >= 400, running.stack.gateway.stats.authorizerInvocations === invocations]
        : [
            attack.name,
            response.status,
            ['unauthorized', 'invalid_token'].includes(response.json?.error) && typeof response.json?.message === 'string',
            response.headers.get('access-control-allow-origin'),
          ],
    );
  }
  expect(answers).toEqual(attacks.map((a) => (oversized(a.authorization) ? [a.name, true, true] : [a.name, 401, true, '*'])));
});

it('still serves the baseline after every attack', async () => {
  expect((await call(kit.validAuthorization)).status).toBe(200);
});
