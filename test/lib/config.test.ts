import { App } from 'aws-cdk-lib';
import {
  CONFIG_KEYS,
  ConfigError,
  configFromApp,
  LOG_RETENTION,
  REMOVAL_POLICY,
  resolveConfig,
  STACK_SETTINGS,
} from '../../lib/config';
import { buildWristband } from '../../lib/wristband-stack';
import { SETTINGS, TOKEN_IDENTITY, type SettingName } from '../../lambdas/contract/settings';
import { context, problemsOf } from './synth';

const settingNames = Object.keys(SETTINGS) as SettingName[];

describe('resolveConfig', () => {
  it('defaults every value from SETTINGS, TOKEN_IDENTITY and the stack settings', () => {
    const config = resolveConfig();

    for (const name of settingNames) expect(config.settings[name]).toBe(SETTINGS[name].default);
    expect(config.issuer).toBe(TOKEN_IDENTITY.issuer.default);
    expect(config.audience).toBe(TOKEN_IDENTITY.audience.default);
    expect(config.removalPolicy).toBe('retain');
    expect(config.keyRotationDays).toBe(30);
    expect(config.throttlingRateLimit).toBe(STACK_SETTINGS.throttlingRateLimit.default);
    expect(config.throttlingBurstLimit).toBe(STACK_SETTINGS.throttlingBurstLimit.default);
    expect(config.logRetentionDays).toBe(LOG_RETENTION.default);
  });

  it('refuses bcrypt cost 9, naming the key, the range and the deployed minimum', () => {
    const problems = problemsOf(context({ bcryptCost: 9 }));

    expect(problems).toEqual(['bcryptCost must be an integer from 10 to 15 (the deployed stack refuses less than 10), got 9']);
  });

  it('refuses a password minimum length of 7', () => {
    expect(problemsOf(context({ passwordMinLength: 7 }))).toEqual(['passwordMinLength must be an integer from 8 to 64, got 7']);
  });

  it.each(settingNames)('accepts %s at its deployed bounds and refuses one step outside', (name) => {
    const setting: (typeof SETTINGS)[SettingName] = SETTINGS[name];
    const min = 'deployedMin' in setting ? setting.deployedMin : setting.min;
    // Keep the cache-vs-token-lifetime rule out of the way: it has its own test.
    const base = { accessTokenTtlSeconds: SETTINGS.accessTokenTtlSeconds.max, authorizerCacheTtlSeconds: 0 };

    expect(problemsOf({ props: { ...base, [name]: min } })).toEqual([]);
    expect(problemsOf({ props: { ...base, [name]: setting.max } })).toEqual([]);
    expect(problemsOf({ props: { ...base, [name]: min - 1 } })).toEqual([expect.stringMatching(new RegExp(`^${setting.key} must be an integer from ${min} to ${setting.max}`))]);
    expect(problemsOf({ props: { ...base, [name]: setting.max + 1 } })).toHaveLength(1);
  });

  it.each([['eleven'], [11.5], [true], [{}], [''], ['12abc']])('refuses a non-integer bcryptCost (%p)', (value) => {
    expect(problemsOf(context({ bcryptCost: value }))).toEqual([expect.stringMatching(/^bcryptCost must be an integer from 10 to 15/)]);
  });

  it('reads integers given as strings, as `cdk -c key=value` passes them', () => {
    const config = resolveConfig(context({ bcryptCost: '12', keyRotationDays: ' 7 ' }));

    expect(config.settings.bcryptCost).toBe(12);
    expect(config.keyRotationDays).toBe(7);
  });

  it('lets stack props override context', () => {
    const config = resolveConfig({ props: { bcryptCost: 13, issuer: 'https://auth.example.com' }, ...context({ bcryptCost: 12, issuer: 'ctx' }) });

    expect(config.settings.bcryptCost).toBe(13);
    expect(config.issuer).toBe('https://auth.example.com');
  });

  it.each([[42], [''], ['has space'], ['x'.repeat(257)]])('refuses issuer and audience that are not printable strings (%p)', (value) => {
    const problems = problemsOf(context({ issuer: value, audience: value }));

    expect(problems).toEqual([
      expect.stringMatching(/^issuer must be a string of 1 to 256 printable characters/),
      expect.stringMatching(/^audience must be a string of 1 to 256 printable characters/),
    ]);
  });

  it('accepts retain and destroy as removal policies and nothing else', () => {
    expect(resolveConfig(context({ removalPolicy: 'destroy' })).removalPolicy).toBe('destroy');
    expect(resolveConfig(context({ removalPolicy: 'retain' })).removalPolicy).toBe('retain');
    expect(problemsOf(context({ removalPolicy: 'DESTROY' }))).toEqual([`${REMOVAL_POLICY.key} must be one of retain, destroy, got "DESTROY"`]);
  });

  it('accepts only retention periods CloudWatch Logs offers', () => {
    expect(resolveConfig(context({ logRetentionDays: '90' })).logRetentionDays).toBe(90);
    expect(problemsOf(context({ logRetentionDays: 2 }))).toEqual([expect.stringMatching(/^logRetentionDays must be one of 1, 3, 5, 7, 14, 30,/)]);
  });

  it.each(Object.values(STACK_SETTINGS))('bounds $key from $min to $max', (setting) => {
    expect(problemsOf(context({ [setting.key]: setting.min }))).toEqual([]);
    expect(problemsOf(context({ [setting.key]: setting.max + 1 }))).toEqual([
      `${setting.key} must be an integer from ${setting.min} to ${setting.max}, got ${setting.max + 1}`,
    ]);
  });

  it('refuses an authorizer cache that outlives the access token', () => {
    const problems = problemsOf(context({ accessTokenTtlSeconds: 120, authorizerCacheTtlSeconds: 300 }));

    expect(problems).toEqual(['authorizerCacheTtlSeconds (300) must not exceed accessTokenTtlSeconds (120)']);
  });

  it('defaults email verification to optional with no sender and no link page (no mail, no SES permission)', () => {
    expect(resolveConfig()).toMatchObject({ emailVerification: 'optional', mailFrom: undefined, appUrl: undefined });
  });

  it('takes a sender, a link page and a verification mode', () => {
    const config = resolveConfig(context({ emailVerification: 'required', mailFrom: 'no-reply@example.com', appUrl: 'https://app.example.com/account' }));

    expect(config).toMatchObject({ emailVerification: 'required', mailFrom: 'no-reply@example.com', appUrl: 'https://app.example.com/account' });
  });

  it('refuses required verification without mail, a display-name sender, an appUrl with a fragment, and an unknown mode', () => {
    expect(problemsOf(context({ emailVerification: 'required' }))).toEqual([expect.stringMatching(/^emailVerification 'required' needs mailFrom and appUrl/)]);
    expect(
      problemsOf(context({ emailVerification: 'always', mailFrom: 'Wristband <no-reply@example.com>', appUrl: 'https://app.example.com/#/reset' })),
    ).toEqual([
      expect.stringMatching(/^emailVerification must be one of off, optional, required/),
      expect.stringMatching(/^mailFrom must be one email address/),
      expect.stringMatching(/^appUrl: APP_URL must have no fragment/),
    ]);
  });

  it('refuses unknown prop keys and misspelt context keys', () => {
    const problems = problemsOf({ props: { bcryptcost: 12 } as never, contextKeys: ['passwordminlength', '@aws-cdk/core:whatever'] });

    expect(problems).toEqual([
      expect.stringMatching(/^bcryptcost is not a configuration key \(known: .*bcryptCost/),
      'context key passwordminlength is misspelt: did you mean passwordMinLength?',
    ]);
  });

  it('reports every problem at once, one per line', () => {
    const error = (() => {
      try {
        resolveConfig(context({ bcryptCost: 9, passwordMinLength: 7, removalPolicy: 'nuke' }));
      } catch (e) {
        return e;
      }
      throw new Error('expected a ConfigError');
    })() as ConfigError;

    expect(error).toBeInstanceOf(ConfigError);
    expect(error.problems).toHaveLength(3);
    expect(error.message.split('\n')).toEqual([
      'Invalid wristband configuration:',
      expect.stringMatching(/^ {2}- bcryptCost/),
      expect.stringMatching(/^ {2}- passwordMinLength/),
      expect.stringMatching(/^ {2}- removalPolicy/),
    ]);
  });

  it('names every SETTINGS key as a configuration key', () => {
    for (const setting of Object.values(SETTINGS)) expect(CONFIG_KEYS).toContain(setting.key);
  });
});

describe('configFromApp', () => {
  it('reads the app context, including its keys for the spelling check', () => {
    const app = new App({ context: { bcryptCost: '12', bcryptcost: '13' } });

    expect(() => configFromApp(app)).toThrow(/bcryptcost is misspelt/);
    expect(configFromApp(new App({ context: { bcryptCost: '12' } })).settings.bcryptCost).toBe(12);
  });

  it('stops buildWristband before any construct is built', () => {
    const app = new App({ context: { bcryptCost: 9 } });

    expect(() => buildWristband(app)).toThrow(ConfigError);
    expect(app.node.children).toHaveLength(0);
  });
});
