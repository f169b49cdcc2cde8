import { AdminAccess } from '../domain/admin-access';
import { dbFromEnv, sessionControlsFromEnv } from '../wiring/from-env';
import { Users } from '../domain/users';
import { adminOf, httpHandler, noContent } from '../edge/http';

const controls = sessionControlsFromEnv();
const admins = new AdminAccess(new Users(dbFromEnv()));

/** `DELETE /api/users/{id}/sessions` (admin, re-checked): signs the user out everywhere; unknown id 404. */
export const handler = httpHandler(async (request) => {
  await admins.confirm(adminOf(request.event));
  await controls.revokeAllOf(request.pathParameter('id') ?? '');
  return noContent();
});
