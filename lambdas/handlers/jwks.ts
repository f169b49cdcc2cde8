import { JwksPublisher } from '../keys/published-jwks';
import { createTracedKeyStore } from '../keys/traced-aws-client';
import { keySourceConfig } from '../contract/config';
import { httpHandler, jsonResponse } from '../edge/http';

const publisher = new JwksPublisher(createTracedKeyStore(keySourceConfig()));

/**
 * `GET /.well-known/jwks.json`: every published public key (current, next
 * and recently retired), public parts only.
 */
export const handler = httpHandler(async () => {
  const { jwks, cacheControl } = await publisher.current();
  return jsonResponse(200, jwks, { 'Cache-Control': cacheControl });
});
