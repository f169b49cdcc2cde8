import { AdminAccess } from '../domain/admin-access';
import { dbFromEnv } from '../wiring/from-env';
import { Users } from '../domain/users';
import { adminOf, httpHandler, jsonResponse } from '../edge/http';
import { parsePageQuery } from '../contract/validation';

const users = new Users(dbFromEnv());
const admins = new AdminAccess(users);

/** `GET /api/users` (admin, re-checked): users in creation order (`?limit=`, `?cursor=`). */
export const handler = httpHandler(async (request) => {
  await admins.confirm(adminOf(request.event));
  const page = parsePageQuery(request.query('limit'), request.query('cursor'));
  return jsonResponse(200, await users.list(page));
});
