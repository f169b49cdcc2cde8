/**
 * Concurrency: what must hold when many requests race for one thing,
 * against dynalite's real conditional writes.
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { keyOf, getN } from '../../../lambdas/shared/dynamo';
import { EmailTakenError, InvalidCredentialsError, InvalidTokenError, TooManyAttemptsError } from '../../../lambdas/shared/errors';
import { keys } from '../../../lambdas/shared/table-schema';
import { domain } from '../../support/domain';

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
  const pair = await login.login('refresh@example.com', PASSWORD);
  const results = await Promise.allSettled(Array.from({ length: 20 }, () => sessions.refresh(pair.refreshToken)));
  const ok = results.filter((r) => r.status === 'fulfilled');
  expect(ok).toHaveLength(1);
  for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(InvalidTokenError);
});

it('20 concurrent refreshes with one token within the reuse interval: all succeed, with one and the same successor', async () => {
  const { registration, login, sessions } = await domain();
  await registration.register({ email: 'refresh@example.com', password: PASSWORD });
  const pair = await login.login('refresh@example.com', PASSWORD);
  const results = await Promise.all(Array.from({ length: 20 }, () => sessions.refresh(pair.refreshToken)));
  expect(new Set(results.map((r) => r.refreshToken)).size).toBe(1);
  await expect(sessions.refresh(results[0]!.refreshToken)).resolves.toEqual(expect.objectContaining({ tokenType: 'Bearer' }));
});

it('N concurrent wrong-password logins count exactly N failures', async () => {
  const { registration, login, db } = await domain({ maxAttempts: 10 });
  await registration.register({ email: 'count@example.com', password: PASSWORD });
  const results = await Promise.allSettled(Array.from({ length: 7 }, () => login.login('count@example.com', 'wrong-password-here')));
  for (const r of results) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(InvalidCredentialsError);
  const item = await db.client.send(new GetItemCommand({ TableName: db.tableName, Key: keyOf(keys.lockout('count@example.com')), ConsistentRead: true }));
  expect(getN(item.Item, 'failures')).toBe(7);
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
