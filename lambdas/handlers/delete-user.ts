import { dbFromEnv } from '../domain/from-env';
import { Users } from '../domain/users';
import { adminOf, httpHandler, noContent } from '../shared/http';

const users = new Users(dbFromEnv());

/** `DELETE /api/users/{id}` (admin): deletes the user, their refresh tokens and their orders. */
export const handler = httpHandler(async (request) => {
  adminOf(request.event);
  await users.delete(request.pathParameter('id') ?? '');
  return noContent();
});
