/** The admin re-check (lambdas/domain/admin-access.ts) against dynalite: the account as stored now, not the token, decides. */
import { AdminAccess } from '../../../lambdas/domain/admin-access';
import { ForbiddenError, InvalidTokenError } from '../../../lambdas/contract/errors';
import { domain } from '../../support/domain';

const HASH = '$2b$04$x';

async function setup() {
  const env = await domain();
  const admins = new AdminAccess(env.users);
  const admin = await env.users.create({ email: 'boss@example.com', role: 'admin', passwordHash: HASH }, new Date().toISOString());
  return { ...env, admins, admin };
}

it('lets an admin whose account is still admin through', async () => {
  const { admins, admin } = await setup();
  await expect(admins.confirm({ sub: admin.id, role: 'admin' })).resolves.toBeUndefined();
});

it('refuses a demoted admin with 403, though the token still says admin', async () => {
  const { admins, admin, users } = await setup();
  await users.setRole(admin.id, 'user');
  await expect(admins.confirm({ sub: admin.id, role: 'admin' })).rejects.toBeInstanceOf(ForbiddenError);
});

it('refuses a deleted admin with 401, even after someone else registers the same email as an admin', async () => {
  const { admins, admin, users } = await setup();
  await users.delete(admin.id);
  await expect(admins.confirm({ sub: admin.id, role: 'admin' })).rejects.toBeInstanceOf(InvalidTokenError);
  const successor = await users.create({ email: 'boss@example.com', role: 'admin', passwordHash: HASH }, new Date().toISOString());
  await expect(admins.confirm({ sub: admin.id, role: 'admin' })).rejects.toBeInstanceOf(InvalidTokenError);
  await expect(admins.confirm({ sub: successor.id, role: 'admin' })).resolves.toBeUndefined();
});

it('refuses a token that does not claim admin (403) and a sub that names nobody (401)', async () => {
  const { admins, admin } = await setup();
  await expect(admins.confirm({ sub: admin.id, role: 'user' })).rejects.toBeInstanceOf(ForbiddenError);
  await expect(admins.confirm({ sub: '00000000-0000-4000-8000-000000000000', role: 'admin' })).rejects.toBeInstanceOf(InvalidTokenError);
  await expect(admins.confirm({ sub: 'USER#x', role: 'admin' })).rejects.toBeInstanceOf(InvalidTokenError);
});
