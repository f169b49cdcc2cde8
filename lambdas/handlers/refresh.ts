import { sessionsFromEnv } from '../wiring/from-env';
import { httpHandler, jsonResponse } from '../edge/http';
import { REQUEST_BODIES } from '../contract/request-bodies';
import { parseBody } from '../contract/validation';

const sessions = sessionsFromEnv();
const body = REQUEST_BODIES.refresh;

/** `POST /refresh`: rotates the refresh token and issues a new access token with the current role. */
export const handler = httpHandler(async (request) => {
  const { refreshToken } = parseBody(request.jsonBody(), body);
  return jsonResponse(200, await sessions.refresh(refreshToken));
});
