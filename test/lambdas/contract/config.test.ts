import { ConfigError, keySourceConfig, readSetting, readSettings, tableConfig, tokenConfig } from '../../../lambdas/contract/config';
import { SETTINGS } from '../../../lambdas/contract/settings';

describe('readSetting', () => {
  it('uses the default when unset or blank', () => {
    expect(readSetting({}, 'bcryptCost')).toBe(SETTINGS.bcryptCost.default);
    expect(readSetting({ BCRYPT_COST: ' ' }, 'bcryptCost')).toBe(SETTINGS.bcryptCost.default);
  });

  it.each([['abc'], ['1.5'], ['12x']])('refuses %s with a message naming the variable', (value) => {
    expect(() => readSetting({ BCRYPT_COST: value }, 'bcryptCost')).toThrow(new ConfigError(`BCRYPT_COST must be an integer, got "${value}"`));
  });

  it('refuses values out of range', () => {
    expect(() => readSetting({ PASSWORD_MIN_LENGTH: '7' }, 'passwordMinLength')).toThrow(/PASSWORD_MIN_LENGTH must be between 8 and 64, got 7/);
    expect(() => readSetting({ BCRYPT_COST: '32' }, 'bcryptCost')).toThrow(/BCRYPT_COST/);
  });

  it('reads every setting at once', () => {
    expect(readSettings({ LOGIN_MAX_ATTEMPTS: '3' })).toEqual(expect.objectContaining({ loginMaxAttempts: 3, lockoutSeconds: 900 }));
  });
});

describe('sections', () => {
  it('tableConfig needs TABLE_NAME', () => {
    expect(() => tableConfig({})).toThrow(/TABLE_NAME must be set/);
    expect(tableConfig({ TABLE_NAME: 't', DYNAMODB_ENDPOINT: 'http://x', AWS_REGION: 'eu-west-1' })).toEqual({ tableName: 't', endpoint: 'http://x', region: 'eu-west-1', timeoutMs: undefined });
  });

  it('tableConfig takes a DynamoDB timeout in ms (the local stack uses a long one) and refuses a nonsense one', () => {
    expect(tableConfig({ TABLE_NAME: 't', DYNAMODB_TIMEOUT_MS: '10000' }).timeoutMs).toBe(10_000);
    for (const value of ['0', '1.5', 'soon', '600000']) {
      expect(() => tableConfig({ TABLE_NAME: 't', DYNAMODB_TIMEOUT_MS: value })).toThrow(`DYNAMODB_TIMEOUT_MS must be a whole number of milliseconds from 100 to 60000 (got "${value}")`);
    }
  });

  it('tokenConfig has the contract defaults and honours the issuer and audience variables', () => {
    expect(tokenConfig({})).toEqual({ issuer: 'wristband', audience: 'wristband-api', accessTokenTtlSeconds: 900, refreshTokenTtlSeconds: 2592000, clockToleranceSeconds: 5, mfaRequiredRoles: [] });
    expect(tokenConfig({ MFA_REQUIRED_ROLES: ' admin, user ' }).mfaRequiredRoles).toEqual(['admin', 'user']);
    expect(() => tokenConfig({ MFA_REQUIRED_ROLES: 'admins' })).toThrow('MFA_REQUIRED_ROLES must name roles (user, admin), got "admins"');
    expect(tokenConfig({ TOKEN_ISSUER: 'https://auth.example.com', TOKEN_AUDIENCE: 'shop' })).toEqual(expect.objectContaining({ issuer: 'https://auth.example.com', audience: 'shop' }));
  });

  it('keySourceConfig picks files when LOCAL_KEYS_DIR is set, AWS otherwise', () => {
    expect(keySourceConfig({ LOCAL_KEYS_DIR: '/k' })).toEqual({ kind: 'file', dir: '/k', signingKeyCacheSeconds: 300 });
    expect(keySourceConfig({ AWS_REGION: 'eu-west-1', PUBLIC_KEYS_PARAMETER: '/p', SIGNING_KEY_SECRET_ID: 'arn:s', SIGNING_KEY_CACHE_SECONDS: '60' })).toEqual({
      kind: 'aws',
      region: 'eu-west-1',
      publicKeysParameter: '/p',
      signingKeySecretId: 'arn:s',
      signingKeyCacheSeconds: 60,
    });
    expect(() => keySourceConfig({ AWS_REGION: 'eu-west-1' })).toThrow(/PUBLIC_KEYS_PARAMETER must be set/);
    expect(() => keySourceConfig({ LOCAL_KEYS_DIR: '/k', SIGNING_KEY_CACHE_SECONDS: '-1' })).toThrow(/SIGNING_KEY_CACHE_SECONDS/);
  });
});
