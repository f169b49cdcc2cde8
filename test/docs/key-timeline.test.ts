/**
 * The key-publication durations the docs state, against the constants the
 * code reads (lambdas/contract/settings.ts): a change to one without the
 * other fails here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JWKS_CACHE_CONTROL } from '../../lambdas/keys/published-jwks';
import {
  JWKS_HANDLER_CACHE_SECONDS,
  JWKS_MAX_AGE_SECONDS,
  KEY_PUBLISH_LEAD_SECONDS,
  KEY_TIMELINE_MARGIN_SECONDS,
  SIGNING_KEY_CACHE_SECONDS_DEFAULT,
} from '../../lambdas/contract/settings';

const read = (path: string) => readFileSync(join(__dirname, '..', '..', path), 'utf8').replace(/\s+/g, ' ');
const readme = read('README.md');
const rotationParagraph = readme.slice(readme.indexOf('**Rotation**'), readme.indexOf('**DynamoDB**'));
const operations = read('docs/operations.md');
const handRotationStart = operations.indexOf('## Rotating the signing key by hand');
const handRotation = operations.slice(handRotationStart, operations.indexOf('## ', handRotationStart + 3));
const minutes = (seconds: number) => seconds / 60;

describe('the key timeline in the docs', () => {
  it('the lead is whole minutes, and the JWKS header is the max-age the lead covers', () => {
    expect(Number.isInteger(minutes(KEY_PUBLISH_LEAD_SECONDS))).toBe(true);
    expect(JWKS_CACHE_CONTROL).toBe(`public, max-age=${JWKS_MAX_AGE_SECONDS}`);
  });

  it("README's Architecture › Rotation states the lead, the JWKS handler cache, the max-age and the issuer key cache", () => {
    expect(rotationParagraph).toContain(`published for ${minutes(KEY_PUBLISH_LEAD_SECONDS)} minutes`);
    expect(rotationParagraph).toContain(`every ${JWKS_HANDLER_CACHE_SECONDS} s`);
    expect(rotationParagraph).toContain(`max-age=${JWKS_MAX_AGE_SECONDS}`);
    expect(rotationParagraph).toContain(`up to ${minutes(JWKS_HANDLER_CACHE_SECONDS + JWKS_MAX_AGE_SECONDS)} minutes old`);
    expect(rotationParagraph).toContain(`a minute of margin`);
    expect(KEY_TIMELINE_MARGIN_SECONDS).toBe(60);
    expect(rotationParagraph).toContain(`cache the key for ${minutes(SIGNING_KEY_CACHE_SECONDS_DEFAULT)} minutes`);
  });

  it('docs/operations.md › Rotating the signing key by hand states the same durations', () => {
    expect(handRotation).toContain(`published for ${minutes(KEY_PUBLISH_LEAD_SECONDS)} minutes`);
    expect(handRotation).toContain(`${JWKS_HANDLER_CACHE_SECONDS} s key cache`);
    expect(handRotation).toContain(`max-age=${JWKS_MAX_AGE_SECONDS}`);
    expect(handRotation).toContain(
      `between ${minutes(KEY_PUBLISH_LEAD_SECONDS)} and ${minutes(KEY_PUBLISH_LEAD_SECONDS + SIGNING_KEY_CACHE_SECONDS_DEFAULT)} minutes after the rotation`,
    );
    expect(handRotation).not.toMatch(/published for 15 s/);
  });
});
