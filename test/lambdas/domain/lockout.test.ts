import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { getN, keyOf } from '../../../lambdas/edge/dynamo';
import type { Attempt } from '../../../lambdas/domain/lockout';
import { InvalidCredentialsError, TooManyAttemptsError } from '../../../lambdas/contract/errors';
import { keys } from '../../../lambdas/contract/table-schema';
import { domain } from '../../support/domain';

const PASSWORD = 'correct-horse-battery-staple';

async function failures(env: Awaited<ReturnType<typeof domain>>, email: string) {
  const out = await env.db.client.send(new GetItemCommand({ TableName: env.db.tableName, Key: keyOf(keys.lockout(email)), ConsistentRead: true }));
  return getN(out.Item, 'attempts');
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
  // The successful login gave back its own attempt, and only that one: the failure before it still counts.
  expect(await failures(env, 'lock@example.com')).toBe(1);
});

it('lifts a lock exactly LOCKOUT_SECONDS after the last attempt, to the second', async () => {
  const env = await domain({ maxAttempts: 2, lockoutSeconds: 100 });
  await env.registration.register({ email: 'edge@example.com', password: PASSWORD });
  // Attempts on a whole second, so the window ends on one too (windows are counted in whole seconds).
  env.clock.advance(1000 - (env.clock.now() % 1000));
  for (let i = 0; i < 2; i++) await expect(env.login.login('edge@example.com', 'wrong-password-here')).rejects.toBeInstanceOf(InvalidCredentialsError);
  env.clock.advance(99_999);
  const locked = await env.login.login('edge@example.com', PASSWORD).catch((e: unknown) => e);
  expect(locked).toBeInstanceOf(TooManyAttemptsError);
  expect((locked as TooManyAttemptsError).retryAfterSeconds).toBe(1);
  env.clock.advance(1);
  await expect(env.login.login('edge@example.com', PASSWORD)).resolves.toBeDefined();
});

it('a success gives back only its own attempt: failures of the window keep counting until it lapses', async () => {
  const env = await domain({ maxAttempts: 3, lockoutSeconds: 60 });
  await env.registration.register({ email: 'forgive@example.com', password: PASSWORD });
  for (let i = 0; i < 2; i++) await expect(env.login.login('forgive@example.com', 'wrong-password-here')).rejects.toBeInstanceOf(InvalidCredentialsError);
  await expect(env.login.login('forgive@example.com', PASSWORD)).resolves.toBeDefined();
  await expect(env.login.login('forgive@example.com', PASSWORD)).resolves.toBeDefined();
  expect(await failures(env, 'forgive@example.com')).toBe(2);
  await expect(env.login.login('forgive@example.com', 'wrong-password-here')).rejects.toBeInstanceOf(InvalidCredentialsError);
  await expect(env.login.login('forgive@example.com', PASSWORD)).rejects.toBeInstanceOf(TooManyAttemptsError);
  env.clock.advance(61_000);
  await expect(env.login.login('forgive@example.com', PASSWORD)).resolves.toBeDefined();
});

describe('Lockout.reserve and guard (the API password change and TOTP reuse)', () => {
  it('hands out exactly maxAttempts concurrent reservations and refuses the rest with a 429 and the window length', async () => {
    const env = await domain({ maxAttempts: 4, lockoutSeconds: 120 });
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => env.lockout.reserve('api@example.com')));
    const granted = results.filter((r): r is PromiseFulfilledResult<Attempt> => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(granted).toHaveLength(4);
    for (const r of refused) expect(r.reason).toEqual(expect.objectContaining({ code: 'too_many_attempts', retryAfterSeconds: expect.any(Number) }));
    for (const r of refused) expect((r.reason as TooManyAttemptsError).retryAfterSeconds).toBeLessThanOrEqual(120);
    // A success gives its slot back, and one more attempt fits; failures keep theirs.
    await granted[0]!.value.succeeded();
    for (const g of granted.slice(1)) g.value.failed();
    const again = await env.lockout.reserve('api@example.com');
    again.failed();
    await expect(env.lockout.reserve('api@example.com')).rejects.toBeInstanceOf(TooManyAttemptsError);
  });

  it('guard runs the check only inside the budget and counts a check that throws as a failure', async () => {
    const env = await domain({ maxAttempts: 2 });
    const check = jest.fn(async () => false);
    await expect(env.lockout.guard('guard@example.com', check)).resolves.toBe(false);
    await expect(env.lockout.guard('guard@example.com', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(env.lockout.guard('guard@example.com', check)).rejects.toBeInstanceOf(TooManyAttemptsError);
    expect(check).toHaveBeenCalledTimes(1);
    expect(await failures(env, 'guard@example.com')).toBe(2);
  });

  it('guard gives back a successful check: a right answer never uses up the budget', async () => {
    const env = await domain({ maxAttempts: 2 });
    for (let i = 0; i < 5; i++) await expect(env.lockout.guard('ok@example.com', async () => true)).resolves.toBe(true);
    expect(await failures(env, 'ok@example.com')).toBe(0);
  });

  it('settles an attempt once', async () => {
    const env = await domain();
    const attempt = await env.lockout.reserve('once@example.com');
    attempt.failed();
    expect(() => attempt.failed()).toThrow();
    await expect(attempt.succeeded()).rejects.toThrow();
  });
});

it('refuses a login for a malformed email with a validation error, not a credentials error', async () => {
  const env = await domain();
  await expect(env.login.login('not an email', PASSWORD)).rejects.toMatchObject({ code: 'validation_error' });
});
