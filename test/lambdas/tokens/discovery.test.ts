/**
 * The discovery document's issuer and JWKS URL: under the issuer when it is
 * the API's URL, else under the API as the request reached it (a deployed
 * stage's execute-api host carries the stage in its path; a custom domain
 * and the local stack do not).
 */
import { apiBaseUrl, openIdConfiguration } from '../../../lambdas/tokens/discovery';

describe('openIdConfiguration', () => {
  it('puts the keys under an issuer that is a URL, trailing slash or not', () => {
    for (const issuer of ['https://api.example.com/prod', 'https://api.example.com/prod/']) {
      expect(openIdConfiguration(issuer, 'http://ignored')).toEqual(
        expect.objectContaining({ issuer, jwks_uri: 'https://api.example.com/prod/.well-known/jwks.json', id_token_signing_alg_values_supported: ['ES256'] }),
      );
    }
  });

  it('keeps a plain-name issuer as it is and puts the keys under the API', () => {
    expect(openIdConfiguration('wristband', 'https://abc.execute-api.eu-west-1.amazonaws.com/prod')).toEqual(
      expect.objectContaining({ issuer: 'wristband', jwks_uri: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod/.well-known/jwks.json' }),
    );
  });
});

describe('apiBaseUrl', () => {
  it.each([
    [{ host: 'abc.execute-api.eu-west-1.amazonaws.com', forwardedProto: 'https', stage: 'prod' }, 'https://abc.execute-api.eu-west-1.amazonaws.com/prod'],
    [{ host: 'auth.example.com', forwardedProto: 'https', stage: 'prod' }, 'https://auth.example.com'],
    [{ host: 'localhost:3000', forwardedProto: undefined, stage: 'local' }, 'http://localhost:3000'],
  ])('%j -> %s', (request, url) => {
    expect(apiBaseUrl(request)).toBe(url);
  });
});
