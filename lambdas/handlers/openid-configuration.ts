import { tokenConfig } from '../contract/config';
import { httpHandler, jsonResponse } from '../edge/http';
import { apiBaseUrl, openIdConfiguration } from '../tokens/discovery';

const { issuer } = tokenConfig();

/** `GET /.well-known/openid-configuration`: where verifiers find the keys for this issuer. */
export const handler = httpHandler(async (request) => {
  const base = apiBaseUrl({ host: request.header('host'), forwardedProto: request.header('x-forwarded-proto'), stage: request.event.requestContext?.stage });
  return jsonResponse(200, openIdConfiguration(issuer, base), { 'Cache-Control': 'public, max-age=3600' });
});
