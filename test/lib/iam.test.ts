import { functionNames } from '../../lib/constructs/wristband-functions';
import { FUNCTION_SPECS, TABLE_ACTIONS, type TableAction } from '../../lib/function-specs';
import { statementsAllow } from '../../lib/table-grants';
import { ITEM_TYPES, TABLE, type ItemType } from '../../lambdas/contract/table-schema';
import type { FunctionName } from '../../lambdas/contract/routes';
import { grant, logicalId, permissionsOf, resolved, statementsOf, synth } from './synth';

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
  const totpKeyArn = resolved(stack, stack.signingKeys.totpKey.secretArn);

  function expected(name: FunctionName): Set<string> {
    const spec = FUNCTION_SPECS[name];
    const logGroupArn = resolved(stack, stack.functions.byName[name].functionLogGroup.logGroupArn);
    const out = [grant('logs:CreateLogStream', logGroupArn), grant('logs:PutLogEvents', logGroupArn), ...XRAY];
    for (const action of TABLE_ACTIONS) {
      const types = (Object.keys(ITEM_TYPES) as ItemType[]).filter((type) => spec.table?.[type]?.includes(action));
      if (types.length === 0) continue;
      const leadingKeys = types.map((type) => `${ITEM_TYPES[type]}*`);
      out.push(grant(action, tableArn, { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': leadingKeys }, Null: { 'dynamodb:LeadingKeys': 'false' } }));
    }
    if (spec.index) out.push(grant('dynamodb:Query', indexArn));
    if (spec.publicKeys) out.push(grant('ssm:GetParameter', parameterArn));
    if (spec.signingKey) out.push(grant('secretsmanager:GetSecretValue', secretArn));
    if (spec.totpKey) out.push(grant('secretsmanager:GetSecretValue', totpKeyArn));
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

  it('lets only login, login-mfa, refresh, change-password and rotate-keys read the signing key', () => {
    const readers = names.filter((name) => permissions(name).has(grant('secretsmanager:GetSecretValue', secretArn)));

    expect(readers.sort()).toEqual(['change-password', 'login', 'login-mfa', 'refresh', 'rotate-keys']);
  });

  it('lets only the four second-factor functions read the TOTP key', () => {
    const readers = names.filter((name) => permissions(name).has(grant('secretsmanager:GetSecretValue', totpKeyArn)));

    expect(readers.sort()).toEqual(['login-mfa', 'mfa-totp-confirm', 'mfa-totp-disable', 'mfa-totp-enrol']);
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

  it('gives list-users the users index, and of the base table only the reads of the caller’s own pointer and account', () => {
    const listUsers = [...permissions('list-users')].filter((p) => p.startsWith('dynamodb:'));

    expect(listUsers.sort()).toEqual(
      [
        grant('dynamodb:Query', indexArn),
        grant('dynamodb:GetItem', tableArn, { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['EMAIL#*', 'USER#*'] }, Null: { 'dynamodb:LeadingKeys': 'false' } }),
      ].sort(),
    );
  });
});

/**
 * The synthesized policies evaluated the way IAM evaluates them
 * (lib/table-grants.ts `statementsAllow`, itself checked against
 * hand-written policies in test/lib/table-grants.test.ts): which item
 * types each function can reach, by partition key.
 */
describe('item-level DynamoDB grants (dynamodb:LeadingKeys)', () => {
  const { stack, template } = synth();
  const names = functionNames();
  const tableArn = resolved(stack, stack.table.table.tableArn);
  const statements = (name: FunctionName) => statementsOf(template, logicalId(stack, stack.functions.byName[name].executionRole));
  /** A partition key of each item type, as the domain code writes them. */
  const SAMPLE_KEYS: Record<ItemType, string> = {
    account: 'EMAIL#victim@example.com',
    userPointer: 'USER#3f0c1c8e-5a7e-4b43-9a55-0a8f5b5d2c11',
    refreshFamily: 'FAMILY#3f0c1c8e-5a7e-4b43-9a55-0a8f5b5d2c11',
    order: 'ORDER#3f0c1c8e-5a7e-4b43-9a55-0a8f5b5d2c11',
    lockout: 'LOCK#victim@example.com',
    refreshToken: `RT#${'ab'.repeat(32)}`,
    resetToken: `RESET#${'cd'.repeat(32)}`,
    verifyToken: `VERIFY#${'ef'.repeat(32)}`,
    mailQuota: 'MAILQ#3f0c1c8e-5a7e-4b43-9a55-0a8f5b5d2c11',
    totp: 'TOTP#3f0c1c8e-5a7e-4b43-9a55-0a8f5b5d2c11',
    mfaChallenge: `MFACH#${'ab'.repeat(32)}`,
  };
  const allows = (name: FunctionName, action: string, ...leadingKeys: string[]) =>
    statementsAllow(statements(name), { action, resource: tableArn, leadingKeys });
  const reachable = (name: FunctionName) =>
    TABLE_ACTIONS.flatMap((action) => (Object.keys(SAMPLE_KEYS) as ItemType[]).filter((type) => allows(name, action, SAMPLE_KEYS[type])).map((type) => `${type} ${action}`));
  const declared = (name: FunctionName) =>
    Object.entries(FUNCTION_SPECS[name].table ?? {}).flatMap(([type, actions]) => (actions as TableAction[]).map((action) => `${type} ${action}`));

  it.each(names)('%s reaches exactly the item types and actions its FUNCTION_SPECS entry lists', (name) => {
    expect(reachable(name).sort()).toEqual(declared(name).sort());
  });

  it('list-orders reaches no account (password hashes), pointer, family, lockout or refresh token: orders only', () => {
    for (const type of ['account', 'userPointer', 'refreshFamily', 'lockout', 'refreshToken'] as const) {
      expect(allows('list-orders', 'dynamodb:Query', SAMPLE_KEYS[type])).toBe(false);
    }
    expect(allows('list-orders', 'dynamodb:Query', SAMPLE_KEYS.order)).toBe(true);
    expect(allows('list-orders', 'dynamodb:GetItem', SAMPLE_KEYS.order)).toBe(false);
  });

  it('create-order can write orders only: no account, pointer, family or lockout item can be overwritten', () => {
    for (const type of ['account', 'userPointer', 'refreshFamily', 'lockout', 'refreshToken'] as const) {
      expect(allows('create-order', 'dynamodb:PutItem', SAMPLE_KEYS[type])).toBe(false);
    }
    expect(allows('create-order', 'dynamodb:PutItem', SAMPLE_KEYS.order)).toBe(true);
  });

  it('lets only register, login, refresh, profile, create-order, the admin user routes, the password re-checks (change-password, delete-profile) and the recovery routes reach account items (password hashes)', () => {
    const readers = names.filter((name) => TABLE_ACTIONS.some((action) => allows(name, action, SAMPLE_KEYS.account)));

    expect(readers.sort()).toEqual([
      'change-password', 'create-order', 'delete-profile', 'delete-user', 'forgot-password', 'list-users', 'login', 'login-mfa',
      'mfa-totp-confirm', 'mfa-totp-disable', 'mfa-totp-enrol', 'profile', 'refresh', 'register', 'resend-verification', 'reset-password',
      'revoke-user-sessions', 'set-user-role', 'verify-email',
    ]);
  });

  it('lets only the second-factor functions touch TOTP items (sealed secrets, recovery hashes), and user deletion remove them', () => {
    const touching = names.filter((name) => TABLE_ACTIONS.some((action) => allows(name, action, SAMPLE_KEYS.totp)));
    const readers = names.filter((name) => (['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'] as const).some((action) => allows(name, action, SAMPLE_KEYS.totp)));

    expect(touching.sort()).toEqual(['delete-profile', 'delete-user', 'login-mfa', 'mfa-totp-confirm', 'mfa-totp-disable', 'mfa-totp-enrol']);
    expect(readers.sort()).toEqual(['login-mfa', 'mfa-totp-confirm', 'mfa-totp-disable']);
    // Login only writes a challenge; it never reads a TOTP item or a challenge.
    expect(allows('login', 'dynamodb:PutItem', SAMPLE_KEYS.mfaChallenge)).toBe(true);
    expect(allows('login', 'dynamodb:GetItem', SAMPLE_KEYS.mfaChallenge)).toBe(false);
  });

  it('lets only register, set-user-role, delete-user, change-password, delete-profile, the TOTP flag (confirm, disable), reset-password and verify-email write account items', () => {
    const writers = names.filter((name) =>
      (['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'] as const).some((action) => allows(name, action, SAMPLE_KEYS.account)),
    );

    expect(writers.sort()).toEqual([
      'change-password', 'delete-profile', 'delete-user', 'mfa-totp-confirm', 'mfa-totp-disable', 'register', 'reset-password', 'set-user-role', 'verify-email',
    ]);
  });

  it('lets only forgot-password write reset tokens and only reset-password read or spend them', () => {
    const touching = (type: ItemType) =>
      names.flatMap((name) => TABLE_ACTIONS.filter((action) => allows(name, action, SAMPLE_KEYS[type])).map((action) => `${name} ${action}`));

    expect(touching('resetToken').sort()).toEqual(['forgot-password dynamodb:PutItem', 'reset-password dynamodb:DeleteItem', 'reset-password dynamodb:GetItem']);
    expect(touching('verifyToken').sort()).toEqual([
      'register dynamodb:PutItem', 'resend-verification dynamodb:PutItem', 'verify-email dynamodb:DeleteItem', 'verify-email dynamodb:GetItem',
    ]);
  });

  it('allows a batch naming two item types only to a function granted the action on both', () => {
    expect(allows('login', 'dynamodb:BatchGetItem', SAMPLE_KEYS.account, SAMPLE_KEYS.lockout)).toBe(true);
    expect(allows('refresh', 'dynamodb:BatchGetItem', SAMPLE_KEYS.refreshFamily, SAMPLE_KEYS.account)).toBe(true);
    expect(allows('refresh', 'dynamodb:BatchGetItem', SAMPLE_KEYS.account, SAMPLE_KEYS.lockout)).toBe(false);
    expect(allows('delete-user', 'dynamodb:BatchWriteItem', SAMPLE_KEYS.order, SAMPLE_KEYS.account)).toBe(false);
  });

  it('limits every table statement to named partition keys, and refuses a request that names none (a Scan)', () => {
    for (const name of names) {
      for (const statement of statements(name)) {
        if (!statement.resources.some((r) => JSON.stringify(r) === JSON.stringify(tableArn))) continue;
        expect(statement.conditions).toEqual({
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': expect.arrayContaining([expect.stringMatching(/^[A-Z]+#\*$/)]) },
          Null: { 'dynamodb:LeadingKeys': 'false' },
        });
        for (const action of statement.actions) expect(statementsAllow([statement], { action, resource: tableArn })).toBe(false);
      }
    }
  });
});

/** Sending mail: SES, from the configured sender's identity only, and only by the functions that send. */
describe('SES permissions', () => {
  const MAIL_FROM = 'no-reply@mail.example.com';

  it('grants ses:SendEmail to register, forgot-password and resend-verification only, on the mailFrom identity, with it as the From', () => {
    const { stack, template } = synth({ props: { mailFrom: MAIL_FROM, appUrl: 'https://app.example.com/account' } });
    const senders = functionNames().filter((name) =>
      [...permissionsOf(template, logicalId(stack, stack.functions.byName[name].executionRole))].some((p) => p.startsWith('ses:')),
    );
    const identity = (name: string) => resolved(stack, stack.formatArn({ service: 'ses', resource: 'identity', resourceName: name }));
    const when = { StringEquals: { 'ses:FromAddress': MAIL_FROM } };

    expect(senders.sort()).toEqual(['forgot-password', 'register', 'resend-verification']);
    for (const name of senders) {
      const ses = [...permissionsOf(template, logicalId(stack, stack.functions.byName[name].executionRole))].filter((p) => p.startsWith('ses:'));
      expect(ses.sort()).toEqual([grant('ses:SendEmail', identity(MAIL_FROM), when), grant('ses:SendEmail', identity('mail.example.com'), when)].sort());
    }
  });

  it('grants no SES permission at all when no mailFrom is configured', () => {
    const { stack, template } = synth();

    for (const name of functionNames()) {
      const permissions = [...permissionsOf(template, logicalId(stack, stack.functions.byName[name].executionRole))];
      expect([name, permissions.filter((p) => p.startsWith('ses:'))]).toEqual([name, []]);
    }
  });
});
