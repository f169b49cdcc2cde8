import { dbFromEnv } from '../wiring/from-env';
import { RefreshTokens } from '../domain/refresh-tokens';
import { refreshTokenConfig } from '../contract/config';
import { httpHandler, noContent } from '../edge/http';
import { REQUEST_BODIES } from '../contract/request-bodies';
import { parseBody } from '../contract/validation';

const refreshTokens = new RefreshTokens(dbFromEnv(), refreshTokenConfig());
const body = REQUEST_BODIES.logout;

/** `POST /logout`: revokes the token's family; 204 even for unknown or revoked tokens. */
export const handler = httpHandler(async (request) => {
  const { refreshToken } = parseBody(request.jsonBody(), body);
  await refreshTokens.revoke(refreshToken);
  return noContent();
});
