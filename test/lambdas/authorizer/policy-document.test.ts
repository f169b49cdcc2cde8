/**
 * The policy document as API Gateway receives it: the IAM policy language
 * version it is written in, and a result each caller owns, however often
 * the same role and stage were asked for before.
 */
import { apiStageArn, policyFor } from '../../../lambdas/authorizer/policy';
import type { AccessClaims } from '../../../lambdas/tokens/access-token-verifier';
import { policyAllows } from '../../../local/iam-policy';

const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';
const claims = (role: AccessClaims['role']): AccessClaims => ({ sub: 's', role, jti: 'j', iat: 0, exp: 1, iss: 'i', aud: 'a' });

describe('the policy document', () => {
  it('is written in IAM policy language version 2012-10-17, with one Allow statement for execute-api:Invoke', () => {
    // 2012-10-17 is the current language version; without it IAM reads the document as 2008-10-17, where policy
    // variables are plain text. The shape is what API Gateway's authorizer contract asks for.
    const { policyDocument } = policyFor(claims('user'), `${STAGE}/GET/api/profile`);
    expect(policyDocument.Version).toBe('2012-10-17');
    expect(policyDocument.Statement).toEqual([{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: expect.arrayContaining([`${STAGE}/GET/api/profile`]) }]);
  });

  it('belongs to its caller: changing a policy it returned changes no later policy for the same role and stage', () => {
    const first = policyFor(claims('user'), `${STAGE}/GET/api/profile`);
    const resources = (first.policyDocument.Statement[0] as { Resource: string[] }).Resource;
    const before = [...resources];
    // A caller may trim or extend what it got back (it is a plain array, not a frozen shared one).
    resources.push(`${STAGE}/DELETE/api/users/*`);
    resources[0] = `${STAGE}/*`;
    expect(policyAllows(first.policyDocument, 'execute-api:Invoke', `${STAGE}/DELETE/api/users/42`)).toBe(true);

    const second = policyFor(claims('user'), `${STAGE}/GET/api/profile`);
    expect((second.policyDocument.Statement[0] as { Resource: string[] }).Resource).toEqual(before);
    expect(policyAllows(second.policyDocument, 'execute-api:Invoke', `${STAGE}/DELETE/api/users/42`)).toBe(false);
  });
});

describe('apiStageArn', () => {
  it('refuses a method ARN that names a stage but no method: it is not one API Gateway sends, so a bug upstream', () => {
    expect(() => apiStageArn('arn:aws:execute-api:eu-west-1:123456789012:abc123/prod')).toThrow(/^unexpected methodArn/);
  });
});
