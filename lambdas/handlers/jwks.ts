import { toJwks, type PublicKeyDocument } from '../keys/key-set';
import { createTracedKeyStore } from '../keys/traced-aws-client';
import { keySourceConfig } from '../shared/config';
import { httpHandler, jsonResponse } from '../shared/http';

const keys = createTracedKeyStore(keySourceConfig());

/** Long enough to spare the key store, short enough that a newly published key shows within a minute. */
const CACHE_MS = 60_000;
let cached: { doc: PublicKeyDocument; at: number } | undefined;

async function publicKeys(): Promise<PublicKeyDocument> {
  if (cached && Date.now() - cached.at < CACHE_MS) return cached.doc;
  try {
    cached = { doc: await keys.loadPublicKeys(), at: Date.now() };
  } catch (error) {
    // A stale set beats an outage: keys are published long before they sign and kept long after.
    if (!cached) throw error;
  }
  return cached.doc;
}

/**
 * `GET /.well-known/jwks.json`: every published public key (current, next
 * and recently retired), public parts only.
 */
export const handler = httpHandler(async () => jsonResponse(200, toJwks(await publicKeys()), { 'Cache-Control': 'public, max-age=300' }));
