import { functionLogicalId, logicalId, synth } from './synth';

const { stack, template } = synth();
const rotatedWeekly = synth({ context: { keyRotationDays: '7' } }).template;

describe('the signing key secret', () => {
  it('is created with a generated placeholder, never a literal value, and no key', () => {
    // The other secret is the TOTP key (its own test in iam.test.ts); the signing key is the one with a placeholder.
    const secrets = Object.values(template.findResources('AWS::SecretsManager::Secret'));
    const [secret, ...others] = secrets.filter((s) => s.Properties.GenerateSecretString?.GenerateStringKey === 'placeholder');

    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    expect(others).toHaveLength(0);
    expect(secret!.Properties.SecretString).toBeUndefined();
    expect(secret!.Properties.GenerateSecretString).toMatchObject({ GenerateStringKey: 'placeholder' });
    expect(secret!.Properties.GenerateSecretString.SecretStringTemplate).not.toMatch(/privateJwk/);
  });
});

describe('the public key parameter', () => {
  it('is not a CloudFormation resource, so no stack update can reset the published keys', () => {
    template.resourceCountIs('AWS::SSM::Parameter', 0);
  });

  it('has a name that says which stack it belongs to, given to the functions that read it', () => {
    expect(stack.signingKeys.publicKeys.parameterName).toBe(`/wristband/${stack.stackName}/public-keys`);
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    const names = functions.map((f) => f.Properties.Environment?.Variables?.PUBLIC_KEYS_PARAMETER).filter((v) => v !== undefined);
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names)).toEqual(new Set([`/wristband/${stack.stackName}/public-keys`]));
  });
});

describe('the rotation schedule', () => {
  const rotation = () => Object.values(template.findResources('AWS::SecretsManager::RotationSchedule'));

  it('rotates the secret with rotate-keys every 30 days, and once right away to create the first key', () => {
    expect(rotation()).toHaveLength(1);
    expect(rotation()[0]!.Properties).toEqual({
      SecretId: { Ref: logicalId(stack, stack.signingKeys.secret) },
      RotationLambdaARN: { 'Fn::GetAtt': [functionLogicalId(stack, 'rotate-keys'), 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotateImmediatelyOnUpdate: true,
    });
  });

  it('follows keyRotationDays', () => {
    rotatedWeekly.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(7 days)' } });
  });

  it('lets Secrets Manager invoke rotate-keys, and only rotate-keys, before the first rotation runs', () => {
    const permissions = Object.entries(template.findResources('AWS::Lambda::Permission')).filter(
      ([, p]) => p.Properties.Principal === 'secretsmanager.amazonaws.com',
    );

    expect(permissions).toHaveLength(1);
    const [[permissionId, permission]] = permissions as [[string, { Properties: Record<string, unknown> }]];
    expect(permission.Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [functionLogicalId(stack, 'rotate-keys'), 'Arn'] },
    });
    expect(rotation()[0]!.DependsOn).toContain(permissionId);
  });
});
