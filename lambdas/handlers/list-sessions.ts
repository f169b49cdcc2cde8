import { sessionControlsFromEnv } from '../wiring/from-env';
import { callerOf, httpHandler, jsonResponse } from '../edge/http';

const controls = sessionControlsFromEnv();

/** `GET /api/sessions`: the caller's live sessions, newest first; never a token. */
export const handler = httpHandler(async (request) => {
  const { sub } = callerOf(request.event);
  return jsonResponse(200, { sessions: await controls.list(sub) });
});
