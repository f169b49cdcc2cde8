/**
 * Concurrency: what must hold when many requests race for one thing,
 * against dynalite's real conditional writes.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PasswordCheck } from '../../../lambdas/domain/session-controls';
import { getN, isDependencyFailure, keyOf } from '../../../lambdas/edge/dynamo';
import { EmailTakenError, InvalidCredentialsError, InvalidTokenError, ServiceUnavailableError, TooManyAttemptsError } from '../../../lambdas/contract/errors';
import { keys } from '../../../lambdas/contract/table-schema';
import { domain, tokensOf } from '../../support/domain';

const PASSWORD = 'correct-horse-battery-staple';

it('50 concurrent registrations of one email create exactly one user', async () => {
  const { registration, users } = await domain();
  const results = await Promise.allSettled(
    Array.from({ length: 50 }, (_, i) => registration.register({ email: 'race@example.com', password: PASSWORD, name: `racer ${i}` })),
  );
  const created = results.filter((r) => r.status === 'fulfilled');
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  expect(created).toHaveLength(1);
  expect(refused).toHaveLength(49);
  for (const r of refused) expect(r.reason).toBeInstanceOf(EmailTakenError);
  const page = await users.list({ limit: 100 });
  expect(page.users.filter((u) => u.email === 'race@example.com')).toHaveLength(1);
  const winner = (created[0] as PromiseFulfilledResult<{ id: string }>).value;
  expect((await users.get(winner.id)).email).toBe('race@example.com');
});

it('20 concurrent refreshes with one token, reuse interval 0: exactly one succeeds', async () => {
  const { registration, login, sessions } = await domain({ reuseIntervalSeconds: 0 });
  await registration.register({ email: 'refresh@example.com', password: PASSWORD });
  const pair = tokensOf(await login.login('refresh@example.com', PASSWORD));
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => sessions.refresh(pair.refreshToken)));
  const ok = results.filter((r) => r.status === 'fulfilled');
  expect(ok).toHaveLength(1);
  for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(InvalidTokenError);
});

it('20 concurrent refreshes with one token within the reuse interval: all succeed, with one and the same successor', async () => {
  const { registration, login, sessions } = await domain();
  await registration.register({ email: 'refresh@example.com', password: PASSWORD });
  const pair = tokensOf(await login.login('refresh@example.com', PASSWORD));
  const results = await Promise.all(Array.from({ length: 20 }, () => sessions.refresh(pair.refreshToken)));
  expect(new Set(results.map((r) => r.refreshToken)).size).toBe(1);
  await expect(sessions.refresh(results[0]!.refreshToken)).resolves.toEqual(expect.objectContaining({ tokenType: 'Bearer' }));
});

it('N concurrent wrong-password logins below the limit count exactly N attempts', async () => {
  const { registration, login, db } = await domain({ maxAttempts: 10 });
  await registration.register({ email: 'count@example.com', password: PASSWORD });
  const results = await Promise.allSettled(Array.from({ length: 7 }, () => login.login('count@example.com', 'wrong-password-here')));
  for (const r of results) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(InvalidCredentialsError);
  const item = await db.client.send(new GetItemCommand({ TableName: db.tableName, Key: keyOf(keys.lockout('count@example.com')), ConsistentRead: true }));
  expect(getN(item.Item, 'attempts')).toBe(7);
  // Three more reach the limit of 10 exactly: the next login, even with the right password, is locked.
  await Promise.allSettled(Array.from({ length: 3 }, () => login.login('count@example.com', 'wrong-password-here')));
  await expect(login.login('count@example.com', PASSWORD)).rejects.toBeInstanceOf(TooManyAttemptsError);
});

it('the limit-th concurrent failure locks; one fewer does not', async () => {
  const { registration, login } = await domain({ maxAttempts: 5 });
  await registration.register({ email: 'four@example.com', password: PASSWORD });
  await Promise.allSettled(Array.from({ length: 4 }, () => login.login('four@example.com', 'wrong-password-here')));
  await expect(login.login('four@example.com', PASSWORD)).resolves.toEqual(expect.objectContaining({ tokenType: 'Bearer' }));
  await Promise.allSettled(Array.from({ length: 5 }, () => login.login('four@example.com', 'wrong-password-here')));
  await expect(login.login('four@example.com', PASSWORD)).rejects.toBeInstanceOf(TooManyAttemptsError);
});

/*
 * On a quiet machine the bursts below get exactly LOGIN_MAX_ATTEMPTS checks. On a loaded one a reservation can
 * outlive the client's 1 s request timeout: the SDK sends it again and it counts twice (fewer checks, never more), or
 * the call fails as a dependency failure (a 503 to the client). So they assert the bound, never more than the limit.
 */
const dependencyFailure = (e: unknown) => isDependencyFailure(e) || e instanceof ServiceUnavailableError;

it('40 concurrent wrong passwords for one email: at most LOGIN_MAX_ATTEMPTS bcrypt checks, the rest 429 unchecked', async () => {
  const { registration, login, hasher } = await domain({ maxAttempts: 5 });
  await registration.register({ email: 'burst@example.com', password: PASSWORD });
  const verify = jest.spyOn(hasher, 'verify');
  const results = await Promise.allSettled(Array.from({ length: 40 }, () => login.login('burst@example.com', 'wrong-password-here')));
  const reasons = results.map((r) => (r as PromiseRejectedResult).reason);
  expect(reasons.filter((e) => !(e instanceof InvalidCredentialsError) && !(e instanceof TooManyAttemptsError) && !dependencyFailure(e)).map(String)).toEqual([]);
  const checked = reasons.filter((e) => e instanceof InvalidCredentialsError).length;
  expect(verify).toHaveBeenCalledTimes(checked);
  expect(checked).toBeGreaterThan(0);
  expect(checked).toBeLessThanOrEqual(5);
  expect(reasons.filter((e) => e instanceof TooManyAttemptsError).length).toBeGreaterThanOrEqual(35 - reasons.filter(dependencyFailure).length);
  await expect(login.login('burst@example.com', PASSWORD)).rejects.toBeInstanceOf(TooManyAttemptsError);
  expect(verify).toHaveBeenCalledTimes(checked);
});

it('a right password racing 40 wrong ones never gets past the budget and never lifts the lock the failures earn', async () => {
  const { registration, login, hasher } = await domain({ maxAttempts: 5 });
  await registration.register({ email: 'mixed@example.com', password: PASSWORD });
  const verify = jest.spyOn(hasher, 'verify');
  const attempts = Array.from({ length: 41 }, (_, i) => (i === 20 ? PASSWORD : 'wrong-password-here'));
  const results = await Promise.allSettled(attempts.map((password) => login.login('mixed@example.com', password)));
  const wrongChecked = results.filter((r) => r.status === 'rejected' && r.reason instanceof InvalidCredentialsError).length;
  const loggedIn = results.filter((r) => r.status === 'fulfilled').length;
  expect(verify.mock.calls.length).toBe(wrongChecked + loggedIn);
  expect(wrongChecked + loggedIn).toBeLessThanOrEqual(5);
  // The success gave back its own slot only: the window's checked wrong passwords never exceed the limit in total.
  let more = 0;
  for (;;) {
    const next = await login.login('mixed@example.com', 'wrong-password-here').catch((e: unknown) => e);
    if (next instanceof TooManyAttemptsError) break;
    expect(next).toBeInstanceOf(InvalidCredentialsError);
    more += 1;
    expect(more).toBeLessThanOrEqual(5);
  }
  expect(wrongChecked + more).toBeLessThanOrEqual(5);
  await expect(login.login('mixed@example.com', PASSWORD)).rejects.toBeInstanceOf(TooManyAttemptsError);
});

it('40 concurrent wrong current passwords (password change, account deletion): at most LOGIN_MAX_ATTEMPTS bcrypt checks, and login is locked too', async () => {
  const { registration, login, hasher, lockout, users } = await domain({ maxAttempts: 5 });
  const user = await registration.register({ email: 'recheck@example.com', password: PASSWORD });
  const account = (await users.accountById(user.id))!;
  const check = new PasswordCheck(hasher, lockout);
  const verify = jest.spyOn(hasher, 'verify');
  const results = await Promise.allSettled(Array.from({ length: 40 }, () => check.verify(account, 'wrong-password-here')));
  const reasons = results.map((r) => (r as PromiseRejectedResult).reason);
  expect(reasons.filter((e) => !(e instanceof InvalidCredentialsError) && !(e instanceof TooManyAttemptsError) && !dependencyFailure(e)).map(String)).toEqual([]);
  const checked = reasons.filter((e) => e instanceof InvalidCredentialsError).length;
  expect(verify).toHaveBeenCalledTimes(checked);
  expect(checked).toBeGreaterThan(0);
  expect(checked).toBeLessThanOrEqual(5);
  // One budget per email: the right password is not checked any more, by the re-check or by login.
  await expect(check.verify(account, PASSWORD)).rejects.toBeInstanceOf(TooManyAttemptsError);
  await expect(login.login('recheck@example.com', PASSWORD)).rejects.toBeInstanceOf(TooManyAttemptsError);
  expect(verify).toHaveBeenCalledTimes(checked);
});

it('100 concurrent orders by one user: 100 stored, none lost', async () => {
  const { registration, orders } = await domain();
  const user = await registration.register({ email: 'orders@example.com', password: PASSWORD });
  const created = await Promise.all(Array.from({ length: 100 }, (_, i) => orders.create(user.id, [{ sku: `sku-${i}`, quantity: 1 }])));
  const page = await orders.list(user.id, { limit: 100 });
  expect(page.orders).toHaveLength(100);
  expect(new Set(page.orders.map((o) => o.id))).toEqual(new Set(created.map((o) => o.id)));
  expect(page.nextCursor).toBeDefined();
  const rest = await orders.list(user.id, { limit: 100, cursor: page.nextCursor });
  expect(rest.orders).toHaveLength(0);
});

it('the conditional write alone keeps an email unique when every racer passed the early check', async () => {
  const { users } = await domain();
  const results = await Promise.allSettled(
    Array.from({ length: 30 }, () => users.create({ email: 'direct@example.com', role: 'user', passwordHash: '$2b$04$x' }, new Date().toISOString())),
  );
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(EmailTakenError);
  expect((await users.list({ limit: 100 })).users).toHaveLength(1);
});

it('40 concurrent wrong passwords the moment a lock lapses: a new window, and again at most LOGIN_MAX_ATTEMPTS checks', async () => {
  // Every racer sees the old window over, so all of them try to start the new one: one does, the rest must count in it.
  const { registration, login, hasher, clock } = await domain({ maxAttempts: 5, lockoutSeconds: 60 });
  await registration.register({ email: 'lapse@example.com', password: PASSWORD });
  for (let i = 0; i < 5; i++) await expect(login.login('lapse@example.com', 'wrong-password-here')).rejects.toBeInstanceOf(InvalidCredentialsError);
  await expect(login.login('lapse@example.com', PASSWORD)).rejects.toBeInstanceOf(TooManyAttemptsError);
  clock.advance(61_000);
  const verify = jest.spyOn(hasher, 'verify');
  const results = await Promise.allSettled(Array.from({ length: 40 }, () => login.login('lapse@example.com', 'wrong-password-here')));
  const reasons = results.map((r) => (r as PromiseRejectedResult).reason);
  expect(reasons.filter((e) => !(e instanceof InvalidCredentialsError) && !(e instanceof TooManyAttemptsError) && !dependencyFailure(e)).map(String)).toEqual([]);
  const checked = reasons.filter((e) => e instanceof InvalidCredentialsError).length;
  expect(verify).toHaveBeenCalledTimes(checked);
  expect(checked).toBeGreaterThan(0);
  expect(checked).toBeLessThanOrEqual(5);
  await expect(login.login('lapse@example.com', PASSWORD)).rejects.toBeInstanceOf(TooManyAttemptsError);
});
