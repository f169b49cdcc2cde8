/**
 * The policy on its own: built per role and per API stage, so that a
 * decision cached by API Gateway for one token is right on every route of
 * that stage and names no other API or stage, whatever was asked before.
 */
import { apiStageArn, policyFor } from '../../../lambdas/authorizer/policy';
import type { AccessClaims } from '../../../lambdas/tokens/access-token-verifier';

const claims = (role: AccessClaims['role'], sub = 'sub-1'): AccessClaims => ({ sub, role, jti: 'j', iat: 0, exp: 1_750_000_900, iss: 'i', aud: 'a' });
const stage = (api: string, name = 'prod') => `arn:aws:execute-api:eu-west-1:123456789012:${api}/${name}`;
const resources = (role: AccessClaims['role'], methodArn: string) =>
  (policyFor(claims(role), methodArn).policyDocument.Statement[0] as { Resource: string[] }).Resource;

describe('policyFor', () => {
  it('names only the stage it was asked for, even right after policies for other stages and APIs', () => {
    const prod = resources('user', `${stage('abc123')}/GET/api/profile`);
    const dev = resources('user', `${stage('abc123', 'dev')}/GET/api/profile`);
    const other = resources('user', `${stage('zzz999')}/GET/api/profile`);

    expect(prod.every((r) => r.startsWith(`${stage('abc123')}/`))).toBe(true);
    expect(dev.every((r) => r.startsWith(`${stage('abc123', 'dev')}/`))).toBe(true);
    expect(other.every((r) => r.startsWith(`${stage('zzz999')}/`))).toBe(true);
    expect(prod).toHaveLength(dev.length);
  });

  it('gives a user and an admin of the same stage their own lists, in either order', () => {
    const admin = resources('admin', `${stage('abc123')}/GET/api/profile`);
    const user = resources('user', `${stage('abc123')}/GET/api/profile`);
    const adminAgain = resources('admin', `${stage('abc123')}/GET/api/profile`);

    expect(admin.length).toBeGreaterThan(user.length);
    expect(adminAgain).toEqual(admin);
    expect(user.some((r) => r.includes('/api/admin'))).toBe(false);
  });

  it('stays right for every stage after more stages than it memoises (the memo is bounded, not wrong)', () => {
    for (let i = 0; i < 200; i++) {
      const arn = stage(`api${i}`);
      expect(resources(i % 2 ? 'admin' : 'user', `${arn}/GET/api/profile`).every((r) => r.startsWith(`${arn}/`))).toBe(true);
    }
    expect(resources('user', `${stage('api0')}/GET/api/profile`).every((r) => r.startsWith(`${stage('api0')}/`))).toBe(true);
  });

  it('with MFA required for admin, leaves the admin routes out of an admin token without otp, keeps the user routes, and never serves one list for the other', () => {
    const arn = `${stage('mfa123')}/GET/api/profile`;
    const listOf = (amr: string[] | undefined) => (policyFor({ ...claims('admin'), ...(amr ? { amr } : {}) }, arn, ['admin']).policyDocument.Statement[0] as { Resource: string[] }).Resource;
    const withOtp = listOf(['pwd', 'otp']);
    const passwordOnly = listOf(['pwd']);
    const withOtpAgain = listOf(['pwd', 'otp']);
    const noClaim = listOf(undefined);

    expect(withOtp.some((r) => r.endsWith('/GET/api/admin'))).toBe(true);
    expect(passwordOnly.some((r) => r.includes('/api/admin') || r.includes('/api/users'))).toBe(false);
    expect(passwordOnly.some((r) => r.endsWith('/POST/api/mfa/totp'))).toBe(true);
    expect(passwordOnly).toEqual(resources('user', arn));
    expect(withOtpAgain).toEqual(withOtp);
    expect(noClaim).toEqual(passwordOnly);
    // Without the setting, amr changes nothing.
    expect((policyFor({ ...claims('admin'), amr: ['pwd'] }, arn).policyDocument.Statement[0] as { Resource: string[] }).Resource).toEqual(withOtp);
  });

  it('hands API Gateway a context of strings: sub, role, jti, exp and amr', () => {
    expect(policyFor({ ...claims('admin', 'sub-9'), amr: ['pwd', 'otp'] }, `${stage('abc123')}/GET/api/admin`).context).toEqual({
      sub: 'sub-9', role: 'admin', jti: 'j', exp: '1750000900', amr: '["pwd","otp"]',
    });
  });

  it('hands API Gateway a context of strings: sub, role, jti and exp', () => {
    expect(policyFor(claims('admin', 'sub-9'), `${stage('abc123')}/GET/api/admin`)).toMatchObject({
      principalId: 'sub-9',
      context: { sub: 'sub-9', role: 'admin', jti: 'j', exp: '1750000900' },
    });
  });
});

describe('apiStageArn', () => {
  it.each([
    ['no stage', 'arn:aws:execute-api:eu-west-1:123456789012:abc123'],
    ['an empty stage', 'arn:aws:execute-api:eu-west-1:123456789012:abc123//GET/api/profile'],
    ['not an ARN', 'execute-api:eu-west-1:123456789012:abc123/prod/GET/api/profile'],
    ['an empty string', ''],
  ])('refuses a method ARN with %s', (_name, arn) => {
    expect(() => apiStageArn(arn)).toThrow(/^unexpected methodArn/);
  });

  it('keeps the error short when the method ARN is huge (no log flooding)', () => {
    const error = (() => {
      try {
        apiStageArn(`x${'a'.repeat(100_000)}`);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(error?.message.length).toBeLessThan(300);
  });

  it('returns the ARN up to and including the stage', () => {
    expect(apiStageArn(`${stage('abc123')}/DELETE/api/users/42`)).toBe(stage('abc123'));
  });
});
