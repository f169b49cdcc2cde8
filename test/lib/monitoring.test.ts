/**
 * The operational surface of the synthesized stack: tracing, log settings,
 * the access-log metric filters, every alarm (metric, threshold, actions),
 * the dashboard. Metric identities are checked against the catalog the
 * functions emit from, so an alarm cannot watch a metric nobody writes.
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { ALARMS, API_5XX_MIN_REQUESTS, runbookAnchor, type AlarmKey } from '../../lib/constructs/wristband-monitoring';
import { functionNames } from '../../lib/constructs/wristband-functions';
import { FUNCTION_SPECS, tableActions } from '../../lib/function-specs';
import { GATEWAY_METRICS, METRICS, METRICS_NAMESPACE, METRICS_STACK_ENV } from '../../lambdas/contract/metric-catalog';
import { ROUTES, type FunctionName } from '../../lambdas/contract/routes';
import { functionLogicalId, logicalId, synth } from './synth';

const { stack, template } = synth();
/** One synth for every configured value this file checks: synths are what make these tests slow. */
const configured = synth({ context: { logLevel: 'debug', debugLogSampleRate: '0.5', alarmNotify: 'ops@example.com' } });
const resources = (type: string) => template.findResources(type);
const alarmNamed = (t: Template, name: string) => {
  const found = Object.entries(t.findResources('AWS::CloudWatch::Alarm')).filter(([, r]) => r.Properties.AlarmName === name);
  expect(found).toHaveLength(1);
  return { id: found[0]![0], props: found[0]![1].Properties };
};
const compositeNamed = (t: Template, name: string) => {
  const found = Object.values(t.findResources('AWS::CloudWatch::CompositeAlarm')).filter((r) => r.Properties.AlarmName === name);
  expect(found).toHaveLength(1);
  return found[0]!.Properties;
};
const fnRef = (name: FunctionName) => ({ Ref: functionLogicalId(stack, name) });
/** The single metric an alarm watches (plain or one MetricStat), as `{ namespace, name, dimensions }`. */
const watched = (props: Record<string, any>) => {
  const stat = props.Metrics ? props.Metrics.find((m: any) => m.ReturnData !== false).MetricStat.Metric : props;
  const dims = Object.fromEntries((stat.Dimensions ?? []).map((d: any) => [d.Name, d.Value]));
  return { namespace: stat.Namespace, name: stat.MetricName, dimensions: dims };
};

describe('tracing', () => {
  it.each(functionNames())('%s has X-Ray active tracing', (name) => {
    expect(resources('AWS::Lambda::Function')[functionLogicalId(stack, name)]!.Properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('is on for the API stage', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: true });
  });

  it.each(functionNames())('%s never records responses in traces', (name) => {
    expect(resources('AWS::Lambda::Function')[functionLogicalId(stack, name)]!.Properties.Environment.Variables.POWERTOOLS_TRACER_CAPTURE_RESPONSE).toBe('false');
  });

  it('is off for responses of every function that returns a token or a key, named here so it cannot drift', () => {
    for (const name of ['login', 'refresh', 'jwks'] as const) {
      expect(resources('AWS::Lambda::Function')[functionLogicalId(stack, name)]!.Properties.Environment.Variables).toMatchObject({
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
      });
    }
  });
});

describe('logs and metrics settings of the functions', () => {
  const envOf = (t: Template, s: typeof stack, name: FunctionName) =>
    t.findResources('AWS::Lambda::Function')[functionLogicalId(s, name)]!.Properties.Environment.Variables as Record<string, unknown>;

  it.each(functionNames())('%s logs at INFO with 1%% debug sampling, in the stack dimension, never logging events', (name) => {
    expect(envOf(template, stack, name)).toMatchObject({
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_LOGGER_SAMPLE_RATE: '0.01',
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      [METRICS_STACK_ENV]: 'Wristband',
    });
    // Logging the incoming event would log passwords and tokens.
    expect(envOf(template, stack, name)).not.toHaveProperty('POWERTOOLS_LOGGER_LOG_EVENT');
  });

  it('take the log level and the sample rate from the configuration', () => {
    for (const name of functionNames()) {
      expect(envOf(configured.template, configured.stack, name)).toMatchObject({ POWERTOOLS_LOG_LEVEL: 'DEBUG', POWERTOOLS_LOGGER_SAMPLE_RATE: '0.5' });
    }
  });

  it('set a retention period on every log group, and every function logs to one of them', () => {
    const groups = resources('AWS::Logs::LogGroup');
    // One per function, plus the API's access logs and its execution logs.
    expect(Object.keys(groups).length).toBe(functionNames().length + 2);
    for (const group of Object.values(groups)) expect(group.Properties.RetentionInDays).toBe(30);
    for (const fn of Object.values(resources('AWS::Lambda::Function'))) expect(Object.keys(groups)).toContain(fn.Properties.LoggingConfig.LogGroup.Ref);
  });
});

describe('the access-log metric filters', () => {
  const filters = Object.values(resources('AWS::Logs::MetricFilter')).map((r) => r.Properties);

  it('are one per gateway metric, on the access logs, counting its error types by API id', () => {
    expect(filters).toHaveLength(Object.keys(GATEWAY_METRICS).length);
    for (const spec of Object.values(GATEWAY_METRICS)) {
      const filter = filters.find((f) => f.MetricTransformations[0].MetricName === spec.name)!;
      expect(filter.LogGroupName).toEqual({ Ref: logicalId(stack, stack.api.accessLogs) });
      expect(filter.MetricTransformations).toEqual([
        { MetricName: spec.name, MetricNamespace: METRICS_NAMESPACE, MetricValue: '1', Unit: 'Count', Dimensions: [{ Key: 'apiId', Value: '$.apiId' }] },
      ]);
      for (const type of spec.errorTypes) expect(filter.FilterPattern).toContain(`$.errorType = "${type}"`);
      expect(filter.FilterPattern).toContain('$.apiId = "*"');
    }
  });

  it('read fields the access log format writes', () => {
    const [stage] = Object.values(resources('AWS::ApiGateway::Stage'));
    const format = JSON.parse(stage!.Properties.AccessLogSetting.Format);
    expect(format).toMatchObject({ apiId: '$context.apiId', errorType: '$context.error.responseType' });
  });
});

describe('the alarms', () => {
  const name = (key: AlarmKey) => `Wristband-${ALARMS[key].id}`;
  const emfDimensions = { service: 'wristband', stack: 'Wristband' };

  it.each(Object.keys(ALARMS) as AlarmKey[])('%s fires at its threshold, ignores missing data, and points at its runbook', (key) => {
    const spec = ALARMS[key];
    if (key === 'throttles') {
      expect(compositeNamed(template, name(key)).AlarmDescription).toContain(`docs/operations.md#${runbookAnchor(spec)}`);
      return;
    }
    const { props } = alarmNamed(template, name(key));
    expect(props).toMatchObject({
      Threshold: spec.threshold,
      EvaluationPeriods: spec.evaluationPeriods,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(props.AlarmDescription).toContain(`docs/operations.md#${runbookAnchor(spec)}`);
    const periods = props.Metrics ? props.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Period) : [props.Period];
    for (const period of periods) expect(period).toBe(spec.periodMinutes * 60);
  });

  it('API 5xx rate: percent of stage requests answered 5xx, once a period has enough requests', () => {
    const { props } = alarmNamed(template, name('api5xxRate'));
    const byId = Object.fromEntries(props.Metrics.map((m: any) => [m.Id, m]));

    expect(props.Metrics.find((m: any) => m.ReturnData !== false).Expression).toBe(`IF(requests >= ${API_5XX_MIN_REQUESTS}, 100 * errors / requests, 0)`);
    expect(byId.requests.MetricStat).toMatchObject({ Stat: 'Sum', Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count' } });
    expect(byId.errors.MetricStat).toMatchObject({ Stat: 'Sum', Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5XXError' } });
    expect(byId.errors.MetricStat.Metric.Dimensions).toEqual(
      expect.arrayContaining([{ Name: 'ApiName', Value: 'Wristband' }, { Name: 'Stage', Value: { Ref: logicalId(stack, stack.api.api.deploymentStage) } }]),
    );
  });

  it('authorizer errors: the access-log count of requests the authorizer failed, for this API', () => {
    expect(watched(alarmNamed(template, name('authorizerErrors')).props)).toEqual({
      namespace: METRICS_NAMESPACE,
      name: GATEWAY_METRICS.authorizerFailures.name,
      dimensions: { apiId: { Ref: logicalId(stack, stack.api.api) } },
    });
  });

  it('failed-login spike and refresh-token reuse: the totals the functions emit (service and stack, no reason)', () => {
    expect(watched(alarmNamed(template, name('failedLoginSpike')).props)).toEqual({ namespace: METRICS_NAMESPACE, name: METRICS.loginFailed.name, dimensions: emfDimensions });
    expect(watched(alarmNamed(template, name('refreshTokenReuse')).props)).toEqual({
      namespace: METRICS_NAMESPACE,
      name: METRICS.refreshTokenReused.name,
      dimensions: emfDimensions,
    });
  });

  it('rotation failure: errors of the rotation function', () => {
    expect(watched(alarmNamed(template, name('rotationFailure')).props)).toEqual({
      namespace: 'AWS/Lambda',
      name: 'Errors',
      dimensions: { FunctionName: fnRef('rotate-keys') },
    });
  });

  it('DynamoDB throttles: throttled requests of every operation the functions may call, filled with 0 where there is no data', () => {
    const { props } = alarmNamed(template, name('dynamoDbThrottles'));
    const stats = props.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric);
    const operations = new Set(Object.values(FUNCTION_SPECS).flatMap((spec) => tableActions(spec).map((a) => a.replace('dynamodb:', ''))));

    expect(stats.map((m: any) => m.Dimensions.find((d: any) => d.Name === 'Operation').Value).sort()).toEqual([...operations].sort());
    for (const metric of stats) {
      expect(metric).toMatchObject({ Namespace: 'AWS/DynamoDB', MetricName: 'ThrottledRequests' });
      expect(metric.Dimensions).toContainEqual({ Name: 'TableName', Value: { Ref: logicalId(stack, stack.table.table) } });
    }
    expect(props.Metrics.find((m: any) => m.ReturnData !== false).Expression).toBe(stats.map((_: unknown, i: number) => `FILL(m${i}, 0)`).join(' + '));
  });

  it('throttles: a composite of the stage throttling and the Lambda throttles of every function', () => {
    const composite = compositeNamed(template, name('throttles'));
    const children = Object.entries(resources('AWS::CloudWatch::Alarm')).filter(([, r]) => String(r.Properties.AlarmName).startsWith('Wristband-Throttles'));
    const rule = JSON.stringify(composite.AlarmRule);
    const throttled = children.flatMap(([, r]) =>
      (r.Properties.Metrics ?? []).filter((m: any) => m.MetricStat?.Metric.MetricName === 'Throttles').map((m: any) => m.MetricStat.Metric.Dimensions[0].Value.Ref),
    );

    for (const [id] of children) expect(rule).toContain(`"${id}"`);
    expect(throttled.sort()).toEqual(functionNames().map((n) => functionLogicalId(stack, n)).sort());
    for (const [, r] of children) expect(r.Properties.Metrics.filter((m: any) => m.MetricStat).length).toBeLessThanOrEqual(10);
    const gateway = children.find(([, r]) => r.Properties.AlarmName === 'Wristband-ThrottlesGateway')![1].Properties;
    expect(watched(gateway)).toEqual({ namespace: METRICS_NAMESPACE, name: GATEWAY_METRICS.throttled.name, dimensions: { apiId: { Ref: logicalId(stack, stack.api.api) } } });
    expect(gateway.Threshold).toBe(ALARMS.throttles.threshold);
  });

  it('notify nobody unless the configuration names an email or a topic', () => {
    for (const alarm of Object.values(resources('AWS::CloudWatch::Alarm'))) expect(alarm.Properties.AlarmActions).toBeUndefined();
    for (const alarm of Object.values(resources('AWS::CloudWatch::CompositeAlarm'))) expect(alarm.Properties.AlarmActions).toBeUndefined();
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('with an email: a topic (TLS only) with the address subscribed, notified on alarm and on recovery by every alarm but the parts of Throttles', () => {
    const { stack: s, template: t } = configured;
    const topicRef = { Ref: logicalId(s, s.monitoring.topic as never) };

    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: topicRef });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    for (const key of Object.keys(ALARMS) as AlarmKey[]) {
      const props = key === 'throttles' ? compositeNamed(t, name(key)) : alarmNamed(t, name(key)).props;
      expect([key, props.AlarmActions, props.OKActions]).toEqual([key, [topicRef], [topicRef]]);
    }
    for (const alarm of Object.values(t.findResources('AWS::CloudWatch::Alarm'))) {
      if (String(alarm.Properties.AlarmName).startsWith('Wristband-Throttles')) expect(alarm.Properties.AlarmActions).toBeUndefined();
    }
  });

  it('with a topic ARN: notifies that topic and creates none', () => {
    const arn = 'arn:aws:sns:eu-west-1:123456789012:team-alarms';
    const { template: t } = synth({ context: { alarmNotify: arn } });

    t.resourceCountIs('AWS::SNS::Topic', 0);
    for (const key of Object.keys(ALARMS) as AlarmKey[]) {
      const props = key === 'throttles' ? compositeNamed(t, name(key)) : alarmNamed(t, name(key)).props;
      expect([key, props.AlarmActions]).toEqual([key, [arn]]);
    }
  });
});

describe('the dashboard', () => {
  const [dashboard] = Object.values(resources('AWS::CloudWatch::Dashboard'));
  const body = JSON.stringify(dashboard!.Properties.DashboardBody);

  it('is one dashboard named after the stack', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(dashboard!.Properties.DashboardName).toBe('Wristband-operations');
  });

  it('graphs every metric the functions emit, the reasons of each, and the gateway metrics', () => {
    for (const spec of Object.values(METRICS)) {
      expect(body).toContain(`\\"${spec.name}\\"`);
      for (const reason of 'reasons' in spec ? spec.reasons : []) expect(body).toContain(`\\"reason\\",\\"${reason}\\"`);
    }
    for (const spec of Object.values(GATEWAY_METRICS)) expect(body).toContain(`\\"${spec.name}\\"`);
    expect(body).toContain(`\\"${METRICS_NAMESPACE}\\"`);
  });

  it('graphs p50 and p99 latency for every route', () => {
    for (const route of ROUTES) {
      for (const stat of ['p50', 'p99']) {
        expect(body).toContain(`\\"Latency\\",\\"ApiName\\",\\"Wristband\\",\\"Method\\",\\"${route.method}\\",\\"Resource\\",\\"${route.path}\\",\\"Stage\\",\\"`);
        expect(body).toContain(`\\"stat\\":\\"${stat}\\"`);
      }
    }
  });

  it('shows the state of every alarm', () => {
    const alarmIds = [...Object.keys(resources('AWS::CloudWatch::Alarm')), ...Object.keys(resources('AWS::CloudWatch::CompositeAlarm'))];
    for (const id of alarmIds) expect(body).toContain(`{"Fn::GetAtt":["${id}","Arn"]}`);
  });

  it('graphs errors, throttles and duration of every function', () => {
    for (const name of functionNames()) expect(body.split(`{"Ref":"${functionLogicalId(stack, name)}"}`).length - 1).toBeGreaterThanOrEqual(3);
  });

  it('is backed by per-method API metrics', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', { MethodSettings: [Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', MetricsEnabled: true })] });
  });
});
