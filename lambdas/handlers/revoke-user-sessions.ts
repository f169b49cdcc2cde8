import { sessionControlsFromEnv } from '../domain/from-env';
import { adminOf, httpHandler, noContent } from '../shared/http';

const controls = sessionControlsFromEnv();

/** `DELETE /api/users/{id}/sessions` (admin): signs the user out everywhere; unknown id 404. */
export const handler = httpHandler(async (request) => {
  adminOf(request.event);
  await controls.revokeAllOf(request.pathParameter('id') ?? '');
  return noContent();
});
