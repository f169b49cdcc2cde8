import { handlerEntry } from '../../lib/constructs/wristband-function';
import { functionNames } from '../../lib/constructs/wristband-functions';
import { FUNCTION_SPECS } from '../../lib/function-specs';
import { ROUTES, SYSTEM_FUNCTIONS } from '../../lambdas/contract/routes';
import { SETTINGS, SIGNING_KEY_CACHE_SECONDS_DEFAULT, TOKEN_IDENTITY, WIRING_ENV } from '../../lambdas/contract/settings';
import { existsSync } from 'node:fs';
import { functionLogicalId, logicalId, resolved, synth } from './synth';

describe('the functions', () => {
  const { stack, template } = synth();
  const functions = template.findResources('AWS::Lambda::Function');
  const names = functionNames();
  const propsOf = (name: (typeof names)[number]) => functions[functionLogicalId(stack, name)]!.Properties;

  it('are one per route handler plus the authorizer and the rotation function', () => {
    expect(new Set(names)).toEqual(new Set([...ROUTES.map((r) => r.handler), ...SYSTEM_FUNCTIONS]));
    template.resourceCountIs('AWS::Lambda::Function', names.length);
    for (const name of names) expect(existsSync(handlerEntry(name))).toBe(true);
  });

  it.each(names)('%s runs on arm64 Node.js 22 with the memory and timeout of its spec', (name) => {
    const spec = FUNCTION_SPECS[name];

    expect(propsOf(name)).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: spec.memoryMb,
      Timeout: spec.timeoutSeconds,
    });
  });

  it.each(names)('%s gets every setting, the token identity, source maps and the service name', (name) => {
    const env = propsOf(name).Environment.Variables;

    for (const setting of Object.values(SETTINGS)) expect(env[setting.env]).toBe(String(setting.default));
    expect(env[TOKEN_IDENTITY.issuer.env]).toBe(TOKEN_IDENTITY.issuer.default);
    expect(env[TOKEN_IDENTITY.audience.env]).toBe(TOKEN_IDENTITY.audience.default);
    expect(env[WIRING_ENV.signingKeyCacheSeconds]).toBe(String(SIGNING_KEY_CACHE_SECONDS_DEFAULT));
    expect(env[WIRING_ENV.publicKeysParameter]).toEqual(resolved(stack, stack.signingKeys.publicKeys.parameterName));
    expect(env.NODE_OPTIONS).toBe('--enable-source-maps');
    expect(env.POWERTOOLS_SERVICE_NAME).toBe('wristband');
  });

  it.each(names)('%s is told the table name only if it may use the table', (name) => {
    const spec = FUNCTION_SPECS[name];
    const env = propsOf(name).Environment.Variables;

    if (spec.table || spec.index) expect(env[WIRING_ENV.tableName]).toEqual({ Ref: logicalId(stack, stack.table.table) });
    else expect(env).not.toHaveProperty(WIRING_ENV.tableName);
  });

  it.each(names)('%s is told the signing key secret only if it issues tokens or rotates keys', (name) => {
    const spec = FUNCTION_SPECS[name];
    const env = propsOf(name).Environment.Variables;

    if (spec.signingKey || spec.rotatesKeys) expect(env[WIRING_ENV.signingKeySecretId]).toEqual({ Ref: logicalId(stack, stack.signingKeys.secret) });
    else expect(env).not.toHaveProperty(WIRING_ENV.signingKeySecretId);
  });

  it.each(names)('%s logs to its own log group with a retention period', (name) => {
    const fn = stack.functions.byName[name];

    const group = template.findResources('AWS::Logs::LogGroup')[logicalId(stack, fn.functionLogGroup)]!;

    expect(propsOf(name).LoggingConfig).toEqual({ LogGroup: { Ref: logicalId(stack, fn.functionLogGroup) } });
    expect(group.Properties.RetentionInDays).toBe(30);
    expect(group.DeletionPolicy).toBe('Retain');
  });

  it('uses no logRetention custom resource (and so no function of its own)', () => {
    expect(template.findResources('Custom::LogRetention')).toEqual({});
  });
});

describe('the functions with configured settings', () => {
  const { stack, template } = synth({
    context: { bcryptCost: '12', issuer: 'https://auth.example.com', audience: 'shop-api', logRetentionDays: 90 },
  });

  it('pass the configured values to every function', () => {
    for (const name of functionNames()) {
      const env = template.findResources('AWS::Lambda::Function')[functionLogicalId(stack, name)]!.Properties.Environment.Variables;
      expect(env).toMatchObject({ BCRYPT_COST: '12', TOKEN_ISSUER: 'https://auth.example.com', TOKEN_AUDIENCE: 'shop-api' });
    }
  });

  it('tell every function the email verification mode (login and register read it)', () => {
    for (const name of functionNames()) {
      const env = template.findResources('AWS::Lambda::Function')[functionLogicalId(stack, name)]!.Properties.Environment.Variables;
      expect([name, env.EMAIL_VERIFICATION]).toEqual([name, 'optional']);
    }
  });

  it('keep their logs for the configured period', () => {
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) expect(group.Properties.RetentionInDays).toBe(90);
  });
});
