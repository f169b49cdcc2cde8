/**
 * How API Gateway evaluates an authorizer's policy against a method ARN:
 * an explicit Deny wins, then any Allow, else denied. Resources match with
 * IAM wildcards (`*` any run of characters, `?` one character), case
 * sensitively. Used by the local stack and by tests of the real policy.
 */
import type { APIGatewayAuthorizerResult } from 'aws-lambda';

export function arnMatches(pattern: string, arn: string): boolean {
  let regex = '^';
  for (const ch of pattern) {
    if (ch === '*') regex += '.*';
    else if (ch === '?') regex += '.';
    else regex += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`${regex}$`, 's').test(arn);
}

export function policyAllows(policy: APIGatewayAuthorizerResult['policyDocument'], action: string, arn: string): boolean {
  let allowed = false;
  // A malformed document allows nothing (local/authorizer-result.ts refuses it before it gets here).
  const statements: unknown[] = Array.isArray(policy?.Statement) ? policy.Statement : [];
  for (const statement of statements) {
    if (!statement || typeof statement !== 'object') continue;
    const s = statement as { Effect?: string; Action?: string | string[]; Resource?: string | string[] };
    const actions = ([] as string[]).concat(s.Action ?? []);
    const resources = ([] as string[]).concat(s.Resource ?? []);
    if (!actions.some((a) => arnMatches(a, action))) continue;
    if (!resources.some((r) => arnMatches(r, arn))) continue;
    if (s.Effect === 'Deny') return false;
    if (s.Effect === 'Allow') allowed = true;
  }
  return allowed;
}
