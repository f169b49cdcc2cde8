import { tokenConfig } from '../shared/config';
import { httpHandler, jsonResponse, type HttpRequest } from '../shared/http';
import { openIdConfiguration } from '../tokens/discovery';

const { issuer } = tokenConfig();

/**
 * The API's base URL as the client reached it: API Gateway sets
 * X-Forwarded-Proto, and its execute-api host serves the stage under a path
 * prefix (a custom domain maps it to `/`). The local stack sets neither.
 */
function apiBaseUrl(request: HttpRequest): string {
  const host = request.header('host') ?? 'localhost';
  const proto = request.header('x-forwarded-proto') ?? 'http';
  const stage = /\.execute-api\.[^.]+\.amazonaws\.com(\.cn)?$/i.test(host) ? `/${request.event.requestContext?.stage ?? ''}` : '';
  return `${proto}://${host}${stage}`;
}

/** `GET /.well-known/openid-configuration`: where verifiers find the keys for this issuer. */
export const handler = httpHandler(async (request) => jsonResponse(200, openIdConfiguration(issuer, apiBaseUrl(request)), { 'Cache-Control': 'public, max-age=3600' }));
