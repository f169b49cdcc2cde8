import { sessionControlsFromEnv } from '../wiring/from-env';
import { callerOf, httpHandler, noContent } from '../edge/http';

const controls = sessionControlsFromEnv();

/** `DELETE /api/sessions/{id}`: revokes one of the caller's own sessions; any other id is 404. */
export const handler = httpHandler(async (request) => {
  const { sub } = callerOf(request.event);
  await controls.revoke(sub, request.pathParameter('id') ?? '');
  return noContent();
});
