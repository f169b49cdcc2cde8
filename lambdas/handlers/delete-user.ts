import { AdminAccess } from '../domain/admin-access';
import { dbFromEnv } from '../wiring/from-env';
import { Users } from '../domain/users';
import { adminOf, httpHandler, noContent } from '../edge/http';

const users = new Users(dbFromEnv());
const admins = new AdminAccess(users);

/** `DELETE /api/users/{id}` (admin, re-checked): deletes the user, their refresh tokens and their orders. */
export const handler = httpHandler(async (request) => {
  await admins.confirm(adminOf(request.event));
  await users.delete(request.pathParameter('id') ?? '');
  return noContent();
});
