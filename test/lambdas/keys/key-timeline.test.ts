/**
 * The key-publication timeline, second by second with a frozen clock: a
 * rotation (the real steps against the Secrets Manager and SSM model), an
 * issuer signing a token every second (the real AccessTokenIssuer over the
 * real AwsKeyStore, through the AWS client and the model served over HTTP),
 * the real JWKS publisher (one instance per phase of its cache), and
 * verifiers outside the stack that fetch the JWKS, keep it for exactly the
 * `max-age` its `Cache-Control` gives, and then fetch again (one every few
 * seconds of phase across that cache, against each publisher). Every token is checked against
 * every verifier's key set, and verified with jose against each distinct set.
 */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { AwsJsonClient } from '../../../lambdas/keys/aws-client';
import { retiredKeyLifetimeSeconds, type PublicJwk } from '../../../lambdas/keys/key-set';
import { AwsKeyStore } from '../../../lambdas/keys/key-store';
import { JwksPublisher } from '../../../lambdas/keys/published-jwks';
import { rotate, type RotationStep } from '../../../lambdas/keys/rotation';
import { tokenConfig } from '../../../lambdas/contract/config';
import {
  JWKS_HANDLER_CACHE_SECONDS,
  JWKS_MAX_AGE_SECONDS,
  KEY_PUBLISH_LEAD_SECONDS,
  SETTINGS,
  SIGNING_KEY_CACHE_SECONDS_DEFAULT,
} from '../../../lambdas/contract/settings';
import { AccessTokenIssuer } from '../../../lambdas/tokens/access-tokens';
import { FakeSecrets } from './fake-secrets';

const STEPS: RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
const T0 = 1_750_000_000;
const tokens = tokenConfig({});
/** Seconds between the phases tried: fine enough against the minute of margin, coarse enough to run in seconds. */
const PUBLISHER_PHASE_STEP = 6;
const VERIFIER_PHASE_STEP = 3;
const keepRetiredSeconds = retiredKeyLifetimeSeconds({
  accessTokenTtlSeconds: SETTINGS.accessTokenTtlSeconds.default,
  clockToleranceSeconds: SETTINGS.clockToleranceSeconds.default,
  signingKeyCacheSeconds: SIGNING_KEY_CACHE_SECONDS_DEFAULT,
});

interface Verifier {
  readonly publisher: number;
  readonly startsAt: number;
  view?: { jwks: { keys: PublicJwk[] }; kids: Set<string>; expiresAtMs: number };
}

interface Failure {
  readonly at: number;
  readonly kid: string;
  readonly verifiers: number;
}

/**
 * Runs one rotation through the timeline. `issuerLeadSeconds` is how long
 * issuers wait after a key's publication before signing with it (the
 * stack's is KEY_PUBLISH_LEAD_SECONDS; the 15 s rotation used to wait is
 * the control).
 */
async function timeline(issuerLeadSeconds: number) {
  const fake = new FakeSecrets();
  const served = await fake.listen();
  let clock = T0 * 1000;
  const now = () => clock;
  const rotation = async (token: string) => {
    fake.startRotation(token);
    for (const Step of STEPS) await rotate(fake.backend(), { SecretId: fake.secretName, ClientRequestToken: token, Step }, { keepRetiredSeconds, now });
    return fake.publicKeys().keys.find((k) => k.retiredAt === undefined)!;
  };
  try {
    const awsClient = new AwsJsonClient(
      { region: 'us-east-1', credentials: () => ({ accessKeyId: 'a', secretAccessKey: 's' }), endpoints: { ssm: served.endpoint, secretsmanager: served.endpoint }, maxAttempts: 1 },
      {},
    );
    const store = new AwsKeyStore(awsClient, fake.parameterName, fake.secretName, { now, publishLeadSeconds: issuerLeadSeconds });
    // No cache: this issuer switches keys at the earliest instant any issuer can.
    const issuer = new AccessTokenIssuer(store, tokens, 0, now);
    const old = await rotation('v1');

    const start = T0 + 30 * 86_400;
    // Publishers at phases across their cache, and verifiers at phases across max-age against each.
    const publisherPhases = Array.from({ length: Math.ceil(JWKS_HANDLER_CACHE_SECONDS / PUBLISHER_PHASE_STEP) }, (_, i) => i * PUBLISHER_PHASE_STEP);
    const publishers = publisherPhases.map(() => new JwksPublisher({ loadPublicKeys: async () => fake.publicKeys() }, now));
    const verifiers: Verifier[] = [];
    publisherPhases.forEach((h, index) => {
      for (let p = 0; p < JWKS_MAX_AGE_SECONDS; p += VERIFIER_PHASE_STEP) verifiers.push({ publisher: index, startsAt: start + h + p });
    });
    const steady = start + JWKS_HANDLER_CACHE_SECONDS + JWKS_MAX_AGE_SECONDS;
    const rotateAt = steady + 30;
    // Past the slow issuer's last reload (below), so that it has switched too.
    const end = rotateAt + KEY_PUBLISH_LEAD_SECONDS + SIGNING_KEY_CACHE_SECONDS_DEFAULT + 30;

    const failures: Failure[] = [];
    const joseFailures: string[] = [];
    const signedWith = new Map<string, number>();
    let fresh: Awaited<ReturnType<typeof rotation>> | undefined;
    let slowIssuer: AccessTokenIssuer | undefined;
    let lastOldTokenExp = 0;
    for (let t = start; t <= end; t += 1) {
      clock = t * 1000;
      if (t === rotateAt) fresh = await rotation('v2');
      for (let i = 0; i < publishers.length; i += 1) if (t >= start + publisherPhases[i]!) await publishers[i]!.current();
      for (const v of verifiers) {
        if (t < v.startsAt || (v.view && clock < v.view.expiresAtMs)) continue;
        const { jwks, cacheControl } = await publishers[v.publisher]!.current();
        const maxAge = Number(/(?:^|,\s*)max-age=(\d+)/.exec(cacheControl)?.[1]);
        v.view = { jwks, kids: new Set(jwks.keys.map((k) => k.kid)), expiresAtMs: clock + maxAge * 1000 };
      }

      const { accessToken } = await issuer.issue({ sub: 'timeline-user', role: 'user' });
      const kid = String(decodeProtectedHeader(accessToken).kid);
      signedWith.set(kid, Math.min(signedWith.get(kid) ?? Infinity, t));
      const missing = verifiers.filter((v) => v.view && !v.view.kids.has(kid)).length;
      if (missing > 0) failures.push({ at: t, kid, verifiers: missing });
      if (t >= steady) {
        const views = new Map(verifiers.map((v) => [[...v.view!.kids].join(), v.view!.jwks]));
        for (const jwks of views.values()) {
          await jwtVerify(accessToken, createLocalJWKSet(jwks as JSONWebKeySet), { issuer: tokens.issuer, audience: tokens.audience, currentDate: new Date(clock) }).catch((e: Error) =>
            joseFailures.push(`${t}: ${e.name}`),
          );
        }
      }

      // An issuer with the default key cache that loads its key at the last instant before the handover.
      if (fresh && t === fresh.publishedAt + issuerLeadSeconds - 1) slowIssuer = new AccessTokenIssuer(store, tokens, SIGNING_KEY_CACHE_SECONDS_DEFAULT, now);
      if (slowIssuer) {
        const slow = await slowIssuer.issue({ sub: 'timeline-user', role: 'user' });
        if (decodeProtectedHeader(slow.accessToken).kid === old.jwk.kid) lastOldTokenExp = t + slow.expiresIn;
      }
    }
    const retiredOld = fake.publicKeys().keys.find((k) => k.jwk.kid === old.jwk.kid);
    return { failures, joseFailures, signedWith, old, fresh: fresh!, verifiers: verifiers.length, lastOldTokenExp, retiredOld };
  } finally {
    await served.close();
  }
}

describe('the key timeline: rotation, issuers, the JWKS and verifiers that honour its Cache-Control', () => {
  let run: Awaited<ReturnType<typeof timeline>>;
  beforeAll(async () => {
    run = await timeline(KEY_PUBLISH_LEAD_SECONDS);
  }, 120_000);

  it('never signs a token with a key that some verifier following the published JWKS cannot have yet', () => {

    // Assess: the new key did start signing (not a vacuous pass), and no verifier ever missed a token's key.
    expect(run.verifiers).toBe((JWKS_HANDLER_CACHE_SECONDS / PUBLISHER_PHASE_STEP) * (JWKS_MAX_AGE_SECONDS / VERIFIER_PHASE_STEP));
    expect(run.signedWith.get(run.fresh.jwk.kid)).toBe(run.fresh.publishedAt + KEY_PUBLISH_LEAD_SECONDS);
    expect(run.failures).toEqual([]);
    expect(run.joseFailures).toEqual([]);
    // The lead covers the chain: the JWKS handler's cache, the answer's max-age, and margin.
    expect(KEY_PUBLISH_LEAD_SECONDS).toBeGreaterThan(JWKS_HANDLER_CACHE_SECONDS + JWKS_MAX_AGE_SECONDS);
  });

  it('keeps the previous key published until every token an issuer with the default key cache signed with it during the lead has expired', () => {

    expect(run.lastOldTokenExp).toBeGreaterThan(run.fresh.publishedAt + KEY_PUBLISH_LEAD_SECONDS);
    expect(run.retiredOld!.retiredAt! + keepRetiredSeconds).toBeGreaterThanOrEqual(run.lastOldTokenExp + SETTINGS.clockToleranceSeconds.default);
  });

  it('control: with the 15 s lead rotation used to wait, verifiers holding a cached JWKS refuse new tokens for minutes', async () => {
    const control = await timeline(15);

    expect(control.failures.length).toBeGreaterThan(60);
    expect(control.joseFailures.length).toBeGreaterThan(0);
    expect(control.failures.every((f) => f.kid === control.fresh.jwk.kid)).toBe(true);
  }, 120_000);
});
