import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { getN, keyOf, N } from '../../../lambdas/edge/dynamo';
import { Lockout, type Attempt } from '../../../lambdas/domain/lockout';
import { InvalidCredentialsError, TooManyAttemptsError } from '../../../lambdas/contract/errors';
import { keys, TABLE } from '../../../lambdas/contract/table-schema';
import { logger } from '../../../lambdas/telemetry/logger';
import { domain } from '../../support/domain';

const PASSWORD = 'correct-horse-battery-staple';

/** `times` wrong passwords in a row for `email`, each refused as wrong credentials (not yet a lockout). */
async function guessWrong(env: Awaited<ReturnType<typeof domain>>, email: string, times = 1) {
  for (let i = 0; i < times; i++) await expect(env.login.login(email, 'wrong-password-here')).rejects.toBeInstanceOf(InvalidCredentialsError);
}

async function failures(env: Awaited<ReturnType<typeof domain>>, email: string) {
  const out = await env.db.client.send(new GetItemCommand({ TableName: env.db.tableName, Key: keyOf(keys.lockout(email)), ConsistentRead: true }));
  return getN(out.Item, 'attempts');
}

it('forgets failures older than the lockout window: the count restarts', async () => {
  const env = await domain({ maxAttempts: 3, lockoutSeconds: 60 });
  await env.registration.register({ email: 'window@example.com', password: PASSWORD });
  await guessWrong(env, 'window@example.com', 2);
  expect(await failures(env, 'window@example.com')).toBe(2);
  env.clock.advance(61_000);
  await guessWrong(env, 'window@example.com');
  expect(await failures(env, 'window@example.com')).toBe(1);
  await expect(env.login.login('window@example.com', PASSWORD)).resolves.toBeDefined();
});

it('lifts a lock after LOCKOUT_SECONDS, says how long is left, and counts afresh afterwards', async () => {
  const env = await domain({ maxAttempts: 2, lockoutSeconds: 100 });
  await env.registration.register({ email: 'lock@example.com', password: PASSWORD });
  await guessWrong(env, 'lock@example.com', 2);
  env.clock.advance(40_000);
  const locked = await env.login.login('lock@example.com', PASSWORD).catch((e: unknown) => e);
  expect(locked).toBeInstanceOf(TooManyAttemptsError);
  expect((locked as TooManyAttemptsError).retryAfterSeconds).toBe(60);
  env.clock.advance(61_000);
  // One failure after the lock lifted does not lock again.
  await guessWrong(env, 'lock@example.com');
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
  await guessWrong(env, 'edge@example.com', 2);
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
  await guessWrong(env, 'forgive@example.com', 2);
  await expect(env.login.login('forgive@example.com', PASSWORD)).resolves.toBeDefined();
  await expect(env.login.login('forgive@example.com', PASSWORD)).resolves.toBeDefined();
  expect(await failures(env, 'forgive@example.com')).toBe(2);
  await guessWrong(env, 'forgive@example.com');
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
    expect(() => attempt.failed()).toThrow('an attempt is settled once');
    await expect(attempt.succeeded()).rejects.toThrow('an attempt is settled once');
  });

  it('an attempt that finds its window over when it writes starts a new one: no 429 for the whole lockout in the second a lock lifts', async () => {
    const env = await domain();
    const email = 'lapsing@example.com';
    // A window holding one attempt and ending at the next whole second...
    const start = env.clock.now() - (env.clock.now() % 1000);
    const windowEnd = start / 1000 + 1;
    await env.db.client.send(new PutItemCommand({ TableName: env.db.tableName, Item: { ...keyOf(keys.lockout(email)), attempts: N(1), [TABLE.ttlAttribute]: N(windowEnd) } }));
    const { Item: seen } = await env.db.client.send(new GetItemCommand({ TableName: env.db.tableName, Key: keyOf(keys.lockout(email)), ConsistentRead: true }));
    // ...read while still live, with the clock reaching that second by the time the attempt is written.
    let reads = 0;
    const lockout = new Lockout(env.db, { maxAttempts: 2, lockoutSeconds: 900 }, () => (reads++ === 0 ? start : start + 1000));

    const attempt = await lockout.reserve(email, { item: seen });

    // Counted in a new window, alone: the old window's attempt no longer counts.
    attempt.failed();
    expect(await failures(env, email)).toBe(1);
  });
});

it('a lock earned by the first attempt of a new window lifts after LOCKOUT_SECONDS too', async () => {
  const env = await domain({ maxAttempts: 1, lockoutSeconds: 100 });
  await env.registration.register({ email: 'restart@example.com', password: PASSWORD });
  await guessWrong(env, 'restart@example.com');
  env.clock.advance(101_000);
  // The window lapsed: this failure starts a new one and spends its only attempt.
  await guessWrong(env, 'restart@example.com');
  const locked = await env.login.login('restart@example.com', PASSWORD).catch((e: unknown) => e);
  expect((locked as TooManyAttemptsError).retryAfterSeconds).toBe(100);
  env.clock.advance(101_000);
  await expect(env.login.login('restart@example.com', PASSWORD)).resolves.toBeDefined();
});

it('an attempt count with no window end (a lock item written by hand) locks nobody: the next attempt starts a window', async () => {
  const env = await domain({ maxAttempts: 3, lockoutSeconds: 60 });
  await env.registration.register({ email: 'handmade@example.com', password: PASSWORD });
  await env.db.client.send(new PutItemCommand({ TableName: env.db.tableName, Item: { ...keyOf(keys.lockout('handmade@example.com')), attempts: N(7) } }));
  await guessWrong(env, 'handmade@example.com');
  expect(await failures(env, 'handmade@example.com')).toBe(1);
  await expect(env.login.login('handmade@example.com', PASSWORD)).resolves.toBeDefined();
});

it('tells the operator when a lockout starts: one line, with its length, for the failure that spends the budget', async () => {
  const env = await domain({ maxAttempts: 3, lockoutSeconds: 120 });
  await env.registration.register({ email: 'told@example.com', password: PASSWORD });
  // Tests run the logger SILENT: listen at its method.
  const info = jest.spyOn(logger, 'info').mockImplementation(() => undefined);
  try {
    await guessWrong(env, 'told@example.com', 3);
    await expect(env.login.login('told@example.com', PASSWORD)).rejects.toBeInstanceOf(TooManyAttemptsError);
    expect(info.mock.calls).toEqual([['lockout started', { lockoutSeconds: 120 }]]);
  } finally {
    info.mockRestore();
  }
});

it('refuses a login for a malformed email with a validation error, not a credentials error', async () => {
  const env = await domain();
  await expect(env.login.login('not an email', PASSWORD)).rejects.toMatchObject({ code: 'validation_error' });
});
