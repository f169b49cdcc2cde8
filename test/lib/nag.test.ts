/**
 * cdk-nag's AwsSolutions pack on the stack, as `cdk synth` runs it
 * (lib/security-checks.ts, bin/wristband.ts): no unacknowledged error or
 * warning, in every shape the configuration can give the stack; each
 * acknowledgement sits on one resource with a reason specific to it, and
 * is written into the synthesized template for reviewers.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { ROUTES } from '../../lambdas/contract/routes';
import { acknowledgementsIn, addSecurityChecks, wildcardReason } from '../../lib/security-checks';
import { buildDemo } from '../../bin/demo';
import { CDK_JSON_CONTEXT } from './synth';

function build(context: Record<string, unknown> = {}) {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [], ...context } });
  const pack = addSecurityChecks(app);
  const stack = buildDemo(app);
  // What `cdk synth` does before the pack runs: the construct's monitoring and acknowledgements cover every added route then.
  Template.fromStack(stack);
  return { app, pack, stack };
}

/** The default stack, built once for the tests that only read it. */
const main = build();

describe.each([
  ['the default configuration', undefined],
  ['alarms notifying an email address (an SNS topic)', { alarmNotify: 'ops@example.com' }],
  ['a destroyable dev stack', { removalPolicy: 'destroy' }],
  ['no WAF web ACL (authRateLimit 0)', { authRateLimit: 0 }],
])('AwsSolutions on %s', (_name, context) => {
  it('reports no unacknowledged error or warning', () => {
    const { pack, stack } = context ? build(context) : main;
    const report = pack.validateScope(stack);
    const findings = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
    expect(findings).toEqual([]);
    expect(report.success).toBe(true);
  });
});

const mainTemplate = Template.fromStack(main.stack);

describe('acknowledgements', () => {
  const { stack } = main;
  const template = mainTemplate.toJSON();
  const acknowledged = acknowledgementsIn(template);
  const all = [...acknowledged.values()].flatMap((rules) => [...rules.entries()]);

  it('are written into the synthesized template, on the resources they concern', () => {
    const count = (id: string) => all.filter(([rule]) => rule === id).length;
    const functions = Object.keys(stack.functions.byName).length;
    const publicRoutes = ROUTES.filter((r) => r.access === 'public').length;
    expect({
      L1: count('AwsSolutions-L1'),
      IAM5: count('AwsSolutions-IAM5[Resource::*]'),
      IAM4: count('AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]'),
      APIG2: count('AwsSolutions-APIG2'),
      APIG3: count('AwsSolutions-APIG3'),
      APIG4: count('AwsSolutions-APIG4'),
      COG4: count('AwsSolutions-COG4'),
      SMG4: count('AwsSolutions-SMG4'),
      // APIG3 (no WAF) is not acknowledged but fixed: the default stack has a WAF web ACL on its stage.
    }).toEqual({ L1: functions, IAM5: functions, IAM4: 1, APIG2: 1, APIG3: 0, APIG4: publicRoutes, COG4: ROUTES.length, SMG4: 1 });
    for (const [logicalId, rules] of acknowledged) {
      const type = template.Resources[logicalId].Type as string;
      for (const rule of rules.keys()) {
        const expected = /L1/.test(rule) ? 'AWS::Lambda::Function' : /IAM5/.test(rule) ? 'AWS::IAM::Policy' : /IAM4/.test(rule) ? 'AWS::IAM::Role' : /APIG2/.test(rule) ? 'AWS::ApiGateway::RestApi' : /APIG3/.test(rule) ? 'AWS::ApiGateway::Stage' : /SMG4/.test(rule) ? 'AWS::SecretsManager::Secret' : 'AWS::ApiGateway::Method';
        expect([logicalId, rule, type]).toEqual([logicalId, rule, expected]);
      }
    }
  });

  it('each carry a one-line reason that is about this stack', () => {
    for (const [rule, reason] of all) {
      expect([rule, reason.length >= 60, reason.includes('\n')]).toEqual([rule, true, false]);
    }
    // Public methods say why that very route is public.
    const apig4 = all.filter(([rule]) => rule === 'AwsSolutions-APIG4').map(([, reason]) => reason);
    for (const route of ROUTES.filter((r) => r.access === 'public')) expect(apig4.some((r) => r.includes(`${route.method} ${route.path} is`))).toBe(true);
  });

  it('never accept a wildcard resource for an action IAM can scope', () => {
    expect(wildcardReason(['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])).toMatch(/X-Ray/);
    expect(wildcardReason(['secretsmanager:GetRandomPassword', 'xray:PutTraceSegments'])).toMatch(/RotationSchedule/);
    expect(wildcardReason(['xray:PutTraceSegments', 'dynamodb:Scan'])).toBeUndefined();
    expect(wildcardReason(['ssm:GetParameter'])).toBeUndefined();
    expect(wildcardReason([])).toBeUndefined();
  });
});

describe('fixed, not acknowledged', () => {
  const { stack } = main;
  const template = mainTemplate;

  it('stage execution logs for errors (APIG6), without data tracing, into a group with our retention', () => {
    const [stage] = Object.values(template.findResources('AWS::ApiGateway::Stage'));
    expect(stage?.Properties.MethodSettings).toEqual([expect.objectContaining({ LoggingLevel: 'ERROR', DataTraceEnabled: false, HttpMethod: '*', ResourcePath: '/*' })]);
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    const execution = groups.filter((g) => JSON.stringify(g.Properties.LogGroupName ?? '').includes('API-Gateway-Execution-Logs_'));
    expect(execution.map((g) => g.Properties.RetentionInDays)).toEqual([stack.config.logRetentionDays]);
  });
});

describe('the check is live', () => {
  it('still reports a finding nobody acknowledged', () => {
    const { pack, stack } = build();
    const extra = new Role(stack, 'UnreviewedRole', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    extra.addToPolicy(new PolicyStatement({ actions: ['dynamodb:Scan'], resources: ['*'] }));
    const errors = pack.validateScope(stack).violations.filter((v) => v.severity === 'error');
    expect(errors.map((v) => [v.ruleName, v.violatingResources.map((r) => r.constructPath)])).toEqual([
      ['AwsSolutions-IAM5[Resource::*]', ['Wristband/UnreviewedRole/DefaultPolicy/Resource']],
    ]);
  });
});
