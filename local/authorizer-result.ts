/**
 * What API Gateway does with a TOKEN authorizer's answer before it
 * evaluates the policy: anything it cannot use is an
 * AuthorizerConfigurationException (AUTHORIZER_CONFIGURATION_ERROR, a 500
 * on AWS) for every protected route the token calls, never a pass. The
 * local gateway checks the same things, so that an authorizer that only
 * works locally fails locally:
 *
 * - `principalId` a string, `policyDocument` an object whose `Statement` is
 *   an array of statements with `Effect` Allow or Deny and string (or
 *   string array) `Action` and `Resource`;
 * - every `context` value a string, number or boolean (objects, arrays and
 *   null are refused), handed on as a string, as API Gateway does.
 *
 * Stricter than AWS where AWS is undocumented (a single Statement object, a
 * null context value): refusing is never more permissive.
 */
import type { PolicyDocument } from 'aws-lambda';

export interface AcceptedAuthorizerResult {
  readonly principalId: string;
  readonly policyDocument: PolicyDocument;
  /** String values only, as the handlers receive them. */
  readonly context: Readonly<Record<string, string>>;
}

/** The usable result, or why API Gateway would call it a configuration error. */
export function acceptAuthorizerResult(result: unknown): AcceptedAuthorizerResult | { readonly problem: string } {
  if (!isObject(result)) return { problem: 'not an object' };
  const { principalId, policyDocument, context } = result;
  if (typeof principalId !== 'string') return { problem: 'principalId is not a string' };
  if (!isObject(policyDocument) || !Array.isArray(policyDocument.Statement)) return { problem: 'policyDocument.Statement is not an array' };
  for (const statement of policyDocument.Statement as unknown[]) {
    if (!isObject(statement)) return { problem: 'a statement is not an object' };
    if (statement.Effect !== 'Allow' && statement.Effect !== 'Deny') return { problem: 'a statement has no Effect Allow or Deny' };
    if (!isStrings(statement.Action) || !isStrings(statement.Resource)) return { problem: 'a statement has no string Action and Resource' };
  }
  const strings: Record<string, string> = {};
  if (context !== undefined && context !== null) {
    if (!isObject(context)) return { problem: 'context is not an object' };
    for (const [key, value] of Object.entries(context)) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        return { problem: `context value ${JSON.stringify(key.slice(0, 64))} is not a string, number or boolean` };
      }
      strings[key] = String(value);
    }
  }
  return { principalId, policyDocument: policyDocument as unknown as PolicyDocument, context: strings };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStrings(value: unknown): boolean {
  return typeof value === 'string' || (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string'));
}
