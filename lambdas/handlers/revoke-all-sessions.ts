import { sessionControlsFromEnv } from '../wiring/from-env';
import { callerOf, httpHandler, noContent } from '../edge/http';

const controls = sessionControlsFromEnv();

/** `POST /api/sessions/revoke-all`: signs the caller out everywhere (access tokens live on until their `exp`). */
export const handler = httpHandler(async (request) => {
  const { sub } = callerOf(request.event);
  await controls.revokeAll(sub);
  return noContent();
});
