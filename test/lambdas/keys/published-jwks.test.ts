/**
 * JwksPublisher: the JWKS handler's key set cache and Cache-Control, with
 * a frozen clock and a key source that can fail.
 */
import { generateSigningKey, publicJwkOf, publishKey, type PublicKeyDocument } from '../../../lambdas/keys/key-set';
import { KeySourceError } from '../../../lambdas/keys/key-store';
import { JwksPublisher } from '../../../lambdas/keys/published-jwks';
import { JWKS_HANDLER_CACHE_SECONDS, JWKS_MAX_AGE_SECONDS } from '../../../lambdas/contract/settings';

let clock = 1_750_000_000_000;
let doc: PublicKeyDocument = { keys: [] };
let failing = false;
let reads = 0;
const source = {
  loadPublicKeys: async () => {
    reads += 1;
    if (failing) throw new KeySourceError('public keys: injected');
    return doc;
  },
};

beforeEach(async () => {
  clock = 1_750_000_000_000;
  doc = publishKey({ keys: [] }, publicJwkOf(await generateSigningKey(1)), 1);
  failing = false;
  reads = 0;
});

describe('JwksPublisher', () => {
  it(`answers with max-age=${JWKS_MAX_AGE_SECONDS} and rereads the key set after ${JWKS_HANDLER_CACHE_SECONDS} s, not before`, async () => {
    const publisher = new JwksPublisher(source, () => clock);
    const first = await publisher.current();
    const added = publicJwkOf(await generateSigningKey(2));
    doc = publishKey(doc, added, 2);

    clock += JWKS_HANDLER_CACHE_SECONDS * 1000 - 1;
    expect((await publisher.current()).jwks.keys.map((k) => k.kid)).not.toContain(added.kid);
    clock += 1;
    const later = await publisher.current();

    expect(first.cacheControl).toBe(`public, max-age=${JWKS_MAX_AGE_SECONDS}`);
    expect(later.jwks.keys.map((k) => k.kid)).toContain(added.kid);
    expect(reads).toBe(2);
    expect(JSON.stringify(later.jwks)).not.toMatch(/"d"|publishedAt|retiredAt/);
  });

  it('keeps serving the last key set it read while the key store fails, and fails closed with none', async () => {
    const publisher = new JwksPublisher(source, () => clock);
    const kids = (await publisher.current()).jwks.keys.map((k) => k.kid);
    failing = true;
    clock += JWKS_HANDLER_CACHE_SECONDS * 1000;

    expect((await publisher.current()).jwks.keys.map((k) => k.kid)).toEqual(kids);
    await expect(new JwksPublisher(source, () => clock).current()).rejects.toBeInstanceOf(KeySourceError);
  });
});
