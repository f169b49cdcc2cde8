import { PUBLIC_KEYS_PLACEHOLDER } from '../../lib/constructs/signing-keys';
import { parsePublicKeyDocument } from '../../lambdas/keys/key-set';
import { functionLogicalId, logicalId, synth } from './synth';

const { stack, template } = synth();
const rotatedWeekly = synth({ context: { keyRotationDays: '7' } }).template;

describe('the signing key secret', () => {
  it('is created with a generated placeholder, never a literal value, and no key', () => {
    const [secret] = Object.values(template.findResources('AWS::SecretsManager::Secret'));

    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    expect(secret!.Properties.SecretString).toBeUndefined();
    expect(secret!.Properties.GenerateSecretString).toMatchObject({ GenerateStringKey: 'placeholder' });
    expect(secret!.Properties.GenerateSecretString.SecretStringTemplate).not.toMatch(/privateJwk/);
  });
});

describe('the public key parameter', () => {
  it('is a String parameter created as an empty key set the verifiers can parse', () => {
    template.hasResourceProperties('AWS::SSM::Parameter', { Type: 'String', Value: PUBLIC_KEYS_PLACEHOLDER, Tier: 'Standard' });
    expect(PUBLIC_KEYS_PLACEHOLDER).toBe('{"keys":[]}');
    expect(parsePublicKeyDocument(PUBLIC_KEYS_PLACEHOLDER)).toEqual({ keys: [] });
  });

  it('has a name that says which stack it belongs to', () => {
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: `/wristband/${stack.stackName}/public-keys` });
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
