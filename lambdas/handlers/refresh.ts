import { sessionsFromEnv } from '../domain/from-env';
import { httpHandler, jsonResponse } from '../shared/http';
import { parseBody, str } from '../shared/validation';

const sessions = sessionsFromEnv();
const body = { refreshToken: str() };

/** `POST /refresh`: rotates the refresh token and issues a new access token with the current role. */
export const handler = httpHandler(async (request) => {
  const { refreshToken } = parseBody(request.jsonBody(), body);
  return jsonResponse(200, await sessions.refresh(refreshToken));
});
