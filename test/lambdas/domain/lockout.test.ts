import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { getN, keyOf } from '../../../lambdas/shared/dynamo';
import { InvalidCredentialsError, TooManyAttemptsError } from '../../../lambdas/shared/errors';
import { keys } from '../../../lambdas/shared/table-schema';
import { domain } from '../../support/domain';

const PASSWORD = 'correct-horse-battery-staple';

async function failures(env: Awaited<ReturnType<typeof domain>>, email: string) {
  const out = await env.db.client.send(new GetItemCommand({ TableName: env.db.tableName, Key: keyOf(keys.lockout(email)), ConsistentRead: true }));
  return getN(out.Item, 'failures');
}

it('forgets failures older than the lockout window: the count restarts', async () => {
  const env = await domain({ maxAttempts: 3, lockoutSeconds: 60 });
  await env.registration.register({ email: 'window@example.com', password: PASSWORD });
  for (let i = 0; i < 2; i++) await expect(env.login.login('window@example.com', 'wrong-password-here')).rejects.toBeInstanceOf(InvalidCredentialsError);
  expect(await failures(env, 'window@example.com')).toBe(2);
  env.clock.advance(61_000);
  await expect(env.login.login('window@example.com', 'wrong-password-here')).rejects.toBeInstanceOf(InvalidCredentialsError);
  expect(await failures(env, 'window@example.com')).toBe(1);
  await expect(env.login.login('window@example.com', PASSWORD)).resolves.toBeDefined();
});

it('lifts a lock after LOCKOUT_SECONDS, says how long is left, and counts afresh afterwards', async () => {
  const env = await domain({ maxAttempts: 2, lockoutSeconds: 100 });
  await env.registration.register({ email: 'lock@example.com', password: PASSWORD });
  for (let i = 0; i < 2; i++) await expect(env.login.login('lock@example.com', 'wrong-password-here')).rejects.toBeInstanceOf(InvalidCredentialsError);
  env.clock.advance(40_000);
  const locked = await env.login.login('lock@example.com', PASSWORD).catch((e: unknown) => e);
  expect(locked).toBeInstanceOf(TooManyAttemptsError);
  expect((locked as TooManyAttemptsError).retryAfterSeconds).toBe(60);
  env.clock.advance(61_000);
  // One failure after the lock lifted does not lock again.
  await expect(env.login.login('lock@example.com', 'wrong-password-here')).rejects.toBeInstanceOf(InvalidCredentialsError);
  expect(await failures(env, 'lock@example.com')).toBe(1);
  await expect(env.login.login('lock@example.com', PASSWORD)).resolves.toBeDefined();
  // The successful login removed the counter.
  expect(await failures(env, 'lock@example.com')).toBeUndefined();
});

it('refuses a login for a malformed email with a validation error, not a credentials error', async () => {
  const env = await domain();
  await expect(env.login.login('not an email', PASSWORD)).rejects.toMatchObject({ code: 'validation_error' });
});
