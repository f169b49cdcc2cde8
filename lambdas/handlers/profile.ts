import { dbFromEnv } from '../domain/from-env';
import { Users } from '../domain/users';
import { callerOf, httpHandler, jsonResponse } from '../shared/http';

const users = new Users(dbFromEnv());

/** `GET /api/profile`: the caller, read by the verified `sub`. A deleted user's still-valid token gets 404. */
export const handler = httpHandler(async (request) => {
  const { sub } = callerOf(request.event);
  return jsonResponse(200, { user: await users.get(sub) });
});
