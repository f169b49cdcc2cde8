import { dbFromEnv } from '../wiring/from-env';
import { RefreshTokens } from '../domain/refresh-tokens';
import { refreshTokenConfig } from '../shared/config';
import { httpHandler, noContent } from '../shared/http';
import { REQUEST_BODIES } from '../shared/request-bodies';
import { parseBody } from '../shared/validation';

const refreshTokens = new RefreshTokens(dbFromEnv(), refreshTokenConfig());
const body = REQUEST_BODIES.logout;

/** `POST /logout`: revokes the token's family; 204 even for unknown or revoked tokens. */
export const handler = httpHandler(async (request) => {
  const { refreshToken } = parseBody(request.jsonBody(), body);
  await refreshTokens.revoke(refreshToken);
  return noContent();
});
