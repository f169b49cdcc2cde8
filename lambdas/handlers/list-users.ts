import { dbFromEnv } from '../domain/from-env';
import { Users } from '../domain/users';
import { adminOf, httpHandler, jsonResponse } from '../shared/http';
import { parsePageQuery } from '../shared/validation';

const users = new Users(dbFromEnv());

/** `GET /api/users` (admin): users in creation order (`?limit=`, `?cursor=`). */
export const handler = httpHandler(async (request) => {
  adminOf(request.event);
  const page = parsePageQuery(request.query('limit'), request.query('cursor'));
  return jsonResponse(200, await users.list(page));
});
