/**
 * cdk-nag's AwsSolutions pack on the wristband stack, and every finding we
 * accept, each on the exact resource it concerns with a one-line reason
 * specific to this stack. `cdk synth` runs the pack (bin/wristband.ts):
 * an unacknowledged error fails the synth, and the acknowledgements are
 * written into the template as `Metadata.cdk_nag.rules_to_suppress`, so a
 * reviewer reads them in cdk.out next to the resource. test/lib/nag.test.ts
 * checks both. Findings that pointed at a real gap were fixed in the
 * constructs instead (docs/security.md lists which).
 *
 * Acknowledgements are made from what the stack actually contains: a
 * wildcard IAM resource is accepted only for the actions listed in
 * WILDCARD_ONLY_ACTIONS, so a new `Resource: *` grant still fails the synth.
 */
import { Stack, Validations, type App } from 'aws-cdk-lib';
import type { CfnPolicy } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { RUNTIME, WristbandFunction } from './constructs/wristband-function';
import type { Wristband } from './wristband';

/** Adds the AwsSolutions pack to the app, writing acknowledgements into the synthesized templates. */
export function addSecurityChecks(app: App): AwsSolutionsChecks {
  const pack = new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true });
  Validations.of(app).addPlugins(pack);
  return pack;
}

/** Actions that IAM only grants on `Resource: *`, and why this stack has them. */
export const WILDCARD_ONLY_ACTIONS: Readonly<Record<string, string>> = {
  'xray:PutTraceSegments': 'X-Ray tracing (Tracing.ACTIVE)',
  'xray:PutTelemetryRecords': 'X-Ray tracing (Tracing.ACTIVE)',
  'secretsmanager:GetRandomPassword': "CDK's RotationSchedule grant to the rotation function (it never calls it: keys come from node:crypto)",
};

/** Why each public route needs no authorizer. */
const PUBLIC_ROUTE_REASONS: Readonly<Record<string, string>> = {
  'GET /': 'the liveness check, which reads nothing',
  'POST /register': 'how a client creates the account it will log in with',
  'POST /login': 'how a client obtains its first token pair (bcrypt, per-account lockout, stage throttling)',
  'POST /login/mfa': 'the second step of sign-in: the single-use challenge from POST /login is the credential, with a TOTP code under the same lockout',
  'POST /refresh': 'the refresh token in the body is the credential (single use, family revoked on reuse)',
  'POST /logout': 'the refresh token in the body is the credential; an unknown token still gets 204',
  'GET /.well-known/jwks.json': 'public keys only, published so any client or service can verify access tokens',
  'GET /.well-known/openid-configuration': 'discovery metadata (issuer, JWKS URL, algorithms) for verifiers that find keys from the issuer',
  'GET /openapi.json': 'the API description, built from the route table; reads nothing',
};

function acknowledge(construct: IConstruct | undefined, id: string, reason: string): void {
  if (!construct) throw new Error(`nothing to acknowledge ${id} on`);
  Validations.of(construct).acknowledge({ id, reason });
}

/** The actions an IAM policy grants on `Resource: *`. */
function wildcardActions(policy: CfnPolicy): string[] {
  const document = Stack.of(policy).resolve(policy.policyDocument) as { Statement?: { Action?: string | string[]; Resource?: unknown }[] };
  const actions = new Set<string>();
  for (const statement of document.Statement ?? []) {
    const resources = ([] as unknown[]).concat(statement.Resource ?? []);
    if (resources.includes('*')) for (const action of ([] as string[]).concat(statement.Action ?? [])) actions.add(action);
  }
  return [...actions].sort();
}

/**
 * The reason to accept `Resource: *` for these actions, or undefined when
 * any of them could be granted on something narrower (then the finding
 * stands and the synth fails).
 */
export function wildcardReason(actions: readonly string[]): string | undefined {
  if (actions.length === 0 || actions.some((action) => !(action in WILDCARD_ONLY_ACTIONS))) return undefined;
  const why = [...new Set(actions.map((action) => WILDCARD_ONLY_ACTIONS[action]))].join('; ');
  return `Resource * only for ${actions.join(', ')}, which IAM grants on no narrower resource: ${why}`;
}

/** Attaches every accepted AwsSolutions finding to the resource it is about. */
export function acknowledgeSecurityFindings(stack: Wristband): void {
  // Functions wristband built: the runtime, and the IAM grants that exist only on Resource: *.
  for (const fn of Object.values(stack.functions.byName)) {
    if (!(fn instanceof WristbandFunction)) continue;
    acknowledge(
      fn.node.defaultChild,
      'AwsSolutions-L1',
      `${RUNTIME.name} is a supported LTS Lambda runtime that every bundle is built and tested for (ESBUILD_TARGET); the runtime moves with that target, not alone`,
    );
    const policy = fn.executionRole.node.tryFindChild('DefaultPolicy')?.node.defaultChild as CfnPolicy | undefined;
    const reason = policy && wildcardReason(wildcardActions(policy));
    if (reason) acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]', reason);
  }

  acknowledge(
    stack.signingKeys.totpKey.node.defaultChild,
    'AwsSolutions-SMG4',
    'key material for TOTP secrets at rest: rotating it would make every enrolled authenticator unreadable (re-encryption on rotation is not built); readable by the four second-factor functions only',
  );

  // The API: the account-level logging role, request validation, WAF, public methods, and the authorizer kind.
  // An app's own API: its logging role, validation and WAF are the app's findings to answer.
  if (!stack.api.attached) acknowledgeOwnApi(stack);
  for (const route of stack.routes) {
    const cfnMethod = stack.api.methods.get(`${route.method} ${route.path}`)?.node.defaultChild;
    const name = `${route.method} ${route.path}`;
    if (route.access === 'public') {
      const why = PUBLIC_ROUTE_REASONS[name] ?? "a public route by the app's choice (addRoute with allow: 'public')";
      acknowledge(cfnMethod, 'AwsSolutions-APIG4', `public by the API contract: ${name} is ${why}`);
      acknowledge(cfnMethod, 'AwsSolutions-COG4', `public by the API contract (${name}): no authorizer of any kind applies`);
    } else {
      acknowledge(cfnMethod, 'AwsSolutions-COG4', `wristband is the identity provider: ${name} is guarded by its own TOKEN authorizer (ES256 access tokens, role policy), which a Cognito user pool would replace`);
    }
  }
}

function acknowledgeOwnApi(stack: Wristband): void {
  const restApi = stack.api.api;
  acknowledge(
    restApi.node.tryFindChild('CloudWatchRole')?.node.defaultChild,
    'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    "API Gateway's account-level logging role, assumable only by apigateway.amazonaws.com; this managed policy is the one AWS documents for it and only writes CloudWatch Logs",
  );
  acknowledge(
    restApi.node.defaultChild,
    'AwsSolutions-APIG2',
    'every handler validates its body, parameters and media type itself (400/413/415 with the contract error body; test/fuzz sends 10,000 events per handler); API Gateway models would be a second copy of the schemas',
  );
  if (!stack.api.waf) {
    acknowledge(
      restApi.deploymentStage.node.defaultChild,
      'AwsSolutions-APIG3',
      'authRateLimit is 0, so this deployment has no WAF web ACL by choice: stage throttling and per-account login lockout limit spraying (docs/security.md)',
    );
  }
}

/** Every acknowledgement written into a synthesized template: resource logical id -> rule id -> reason. */
export function acknowledgementsIn(template: { Resources?: Record<string, { Metadata?: Record<string, unknown> }> }): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    const rules = (resource.Metadata?.cdk_nag as { rules_to_suppress?: { id: string; reason: string }[] } | undefined)?.rules_to_suppress;
    if (rules) out.set(logicalId, new Map(rules.map((r) => [r.id, r.reason])));
  }
  return out;
}

