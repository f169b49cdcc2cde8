import { AdminAccess } from '../domain/admin-access';
import { dbFromEnv } from '../wiring/from-env';
import { Users } from '../domain/users';
import { adminOf, httpHandler, jsonResponse } from '../edge/http';
import { roleConfig } from '../contract/roles';
import { oneOf, parseBody } from '../contract/validation';

const users = new Users(dbFromEnv());
const admins = new AdminAccess(users);
// The configured roles are known only at run time; REQUEST_BODIES documents the field for OpenAPI.
const body = { role: oneOf(roleConfig().roles) };

/** `PUT /api/users/{id}/role` (admin, re-checked): the new role shows in the user's next access token (at the next refresh). */
export const handler = httpHandler(async (request) => {
  await admins.confirm(adminOf(request.event));
  const { role } = parseBody(request.jsonBody(), body);
  return jsonResponse(200, { user: await users.setRole(request.pathParameter('id') ?? '', role) });
});
