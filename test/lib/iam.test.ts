import { functionNames } from '../../lib/constructs/wristband-functions';
import { FUNCTION_SPECS } from '../../lib/function-specs';
import { TABLE } from '../../lambdas/shared/table-schema';
import type { FunctionName } from '../../lambdas/shared/routes';
import { grant, logicalId, permissionsOf, resolved, synth } from './synth';

/**
 * What each function may do, derived from FUNCTION_SPECS independently of
 * the construct that writes the policies: the two must agree exactly.
 */
/** Active tracing: X-Ray takes segments on no resource, so these two are granted on `*` (the only way IAM allows them). */
const XRAY = [grant('xray:PutTraceSegments', '*'), grant('xray:PutTelemetryRecords', '*')];

describe('IAM boundaries', () => {
  const { stack, template } = synth();
  const names = functionNames();
  const roleOf = (name: FunctionName) => logicalId(stack, stack.functions.byName[name].executionRole);
  const permissions = (name: FunctionName) => permissionsOf(template, roleOf(name));

  const tableArn = resolved(stack, stack.table.table.tableArn);
  const indexArn = resolved(stack, `${stack.table.table.tableArn}/index/${TABLE.usersIndex.name}`);
  const parameterArn = resolved(stack, stack.signingKeys.publicKeys.parameterArn);
  const secretArn = resolved(stack, stack.signingKeys.secret.secretArn);

  function expected(name: FunctionName): Set<string> {
    const spec = FUNCTION_SPECS[name];
    const logGroupArn = resolved(stack, stack.functions.byName[name].functionLogGroup.logGroupArn);
    const out = [grant('logs:CreateLogStream', logGroupArn), grant('logs:PutLogEvents', logGroupArn), ...XRAY];
    for (const action of spec.table ?? []) out.push(grant(action, tableArn));
    if (spec.index) out.push(grant('dynamodb:Query', indexArn));
    if (spec.publicKeys) out.push(grant('ssm:GetParameter', parameterArn));
    if (spec.signingKey) out.push(grant('secretsmanager:GetSecretValue', secretArn));
    if (spec.rotatesKeys) {
      for (const action of ['DescribeSecret', 'GetSecretValue', 'PutSecretValue', 'UpdateSecretVersionStage']) {
        out.push(grant(`secretsmanager:${action}`, secretArn));
      }
      out.push(grant('ssm:GetParameter', parameterArn), grant('ssm:PutParameter', parameterArn));
      // Added by RotationSchedule for every rotation function; it generates random strings and reads no resource.
      out.push(grant('secretsmanager:GetRandomPassword', '*'));
    }
    return new Set(out);
  }

  it.each(names)('%s may do exactly what its FUNCTION_SPECS entry lists', (name) => {
    expect([...permissions(name)].sort()).toEqual([...expected(name)].sort());
  });

  it.each(names)('%s has its own role, assumable by Lambda only, with no managed or inline policies', (name) => {
    const role = template.findResources('AWS::IAM::Role')[roleOf(name)]!.Properties;

    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(role.Policies).toBeUndefined();
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
  });

  it.each(['authorizer', 'jwks'] as const)('%s can read the public keys and nothing else: no table, no secret', (name) => {
    const actions = [...permissions(name)].map((p) => p.split(' ')[0]);

    expect(actions.filter((a) => a!.startsWith('dynamodb:'))).toEqual([]);
    expect(actions.filter((a) => a!.startsWith('secretsmanager:'))).toEqual([]);
    expect(permissions(name)).toContain(grant('ssm:GetParameter', parameterArn));
    expect(actions.filter((a) => !a!.startsWith('logs:') && !a!.startsWith('xray:'))).toEqual(['ssm:GetParameter']);
  });

  it('lets only login, refresh, change-password and rotate-keys read the signing key', () => {
    const readers = names.filter((name) => permissions(name).has(grant('secretsmanager:GetSecretValue', secretArn)));

    expect(readers.sort()).toEqual(['change-password', 'login', 'refresh', 'rotate-keys']);
  });

  it('lets only rotate-keys write the secret or the public key parameter', () => {
    const writers = names.filter((name) =>
      [...permissions(name)].some((p) => /^(secretsmanager:(PutSecretValue|UpdateSecretVersionStage)|ssm:PutParameter) /.test(p)),
    );

    expect(writers).toEqual(['rotate-keys']);
  });

  it('grants no wildcard action, and no wildcard resource beyond GetRandomPassword and X-Ray', () => {
    for (const name of names) {
      for (const permission of permissions(name)) {
        expect(permission).not.toMatch(/^\S*\*/);
        if (permission.endsWith(' on "*"')) expect([grant('secretsmanager:GetRandomPassword', '*'), ...XRAY]).toContain(permission);
      }
    }
  });

  it('gives list-users the users index, not the base table that holds password hashes', () => {
    const listUsers = [...permissions('list-users')].filter((p) => p.startsWith('dynamodb:'));

    expect(listUsers).toEqual([grant('dynamodb:Query', indexArn)]);
  });
});
