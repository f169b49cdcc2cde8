/**
 * What a team runs wristband on: alarms with default thresholds (and an
 * optional SNS topic they notify), the metric filters that derive the
 * gateway's own failures from the access logs, and one CloudWatch
 * dashboard. Every metric name comes from lambdas/contract/metric-catalog.ts,
 * the table the functions emit from; every alarm is in ALARMS, the table
 * docs/operations.md follows (a test holds the two together).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Operation, ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterPattern, MetricFilter } from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import {
  DIMENSIONS,
  GATEWAY_METRICS,
  GATEWAY_METRICS_DIMENSION,
  METRICS,
  METRICS_NAMESPACE,
  type MetricKey,
} from '../../lambdas/contract/metric-catalog';
import { ROUTES, type FunctionName } from '../../lambdas/contract/routes';
import type { WristbandConfig } from '../config';
import { FUNCTION_SPECS, tableActions } from '../function-specs';
import type { WristbandApi } from './wristband-api';
import { pascalCase, SERVICE_NAME, type WristbandFunction } from './wristband-function';
import { functionNames } from './wristband-functions';

export interface AlarmSpec {
  /** Construct id, and the alarm's name after the stack name (`Wristband-Api5xxRate`). */
  readonly id: string;
  /** The heading of its runbook in docs/operations.md. */
  readonly title: string;
  /** Fires at this value or above, over `periodMinutes`, for `evaluationPeriods` periods in a row. */
  readonly threshold: number;
  readonly periodMinutes: number;
  readonly evaluationPeriods: number;
  /** What the threshold counts, for the docs and the alarm's description. */
  readonly unit: string;
  readonly summary: string;
}

/**
 * Every alarm and its default threshold. Defaults suit a small production
 * deployment; change them here (they are facts the docs quote, not
 * configuration a deploy should vary).
 */
export const ALARMS = {
  api5xxRate: {
    id: 'Api5xxRate',
    title: 'API 5xx rate',
    threshold: 5,
    periodMinutes: 5,
    evaluationPeriods: 1,
    unit: 'percent of requests answered 5xx (counted once a period has at least 10 requests)',
    summary: 'Clients are getting 5xx answers: a dependency (DynamoDB, the key store) is failing, or a bug.',
  },
  authorizerErrors: {
    id: 'AuthorizerErrors',
    title: 'Authorizer errors',
    threshold: 5,
    periodMinutes: 5,
    evaluationPeriods: 1,
    unit: 'requests API Gateway answered 503 because the authorizer failed, crashed or timed out',
    summary: 'The authorizer is failing closed: protected routes answer 503.',
  },
  throttles: {
    id: 'Throttles',
    title: 'Throttles',
    threshold: 20,
    periodMinutes: 5,
    evaluationPeriods: 1,
    unit: 'requests the stage throttled (429), or any Lambda throttle (1 or more) of any wristband function',
    summary: 'Requests are being throttled: by the stage limits (clients get 429) or by Lambda concurrency.',
  },
  failedLoginSpike: {
    id: 'FailedLoginSpike',
    title: 'Failed-login spike',
    threshold: 50,
    periodMinutes: 5,
    evaluationPeriods: 1,
    unit: 'failed logins (wrong password, unknown email, locked out)',
    summary: 'Many logins are failing: password spraying or credential stuffing, or a broken client.',
  },
  refreshTokenReuse: {
    id: 'RefreshTokenReuse',
    title: 'Refresh-token reuse',
    threshold: 1,
    periodMinutes: 5,
    evaluationPeriods: 1,
    unit: 'refresh tokens presented again after use',
    summary: 'A used refresh token came back: a stolen token, or a client that refreshes twice. The family is revoked.',
  },
  rotationFailure: {
    id: 'RotationFailure',
    title: 'Key rotation failure',
    threshold: 1,
    periodMinutes: 5,
    evaluationPeriods: 1,
    unit: 'failed invocations of the rotation function',
    summary: 'A signing key rotation step failed: Secrets Manager retries it, but the old key keeps signing.',
  },
  dynamoDbThrottles: {
    id: 'DynamoDbThrottles',
    title: 'DynamoDB throttles',
    threshold: 5,
    periodMinutes: 5,
    evaluationPeriods: 1,
    unit: 'throttled DynamoDB requests (each retry counts)',
    summary: 'DynamoDB is throttling the table: requests retry, and answer 503 when retries run out.',
  },
} as const satisfies Record<string, AlarmSpec>;

export type AlarmKey = keyof typeof ALARMS;

/** The 5xx rate counts only periods with at least this many requests: one failure in two requests is not an incident. */
export const API_5XX_MIN_REQUESTS = 10;
/** The Lambda throttles part of the Throttles alarm fires on any throttle. */
export const LAMBDA_THROTTLES_THRESHOLD = 1;
/** CloudWatch alarms on metric math take at most 10 metrics. */
const MAX_METRICS_PER_ALARM = 10;

/** The anchor of an alarm's runbook in docs/operations.md (GitHub's heading slugs). */
export function runbookAnchor(alarm: AlarmSpec): string {
  return alarm.title
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

export interface WristbandMonitoringProps {
  readonly config: WristbandConfig;
  readonly api: WristbandApi;
  readonly functions: Readonly<Record<FunctionName, WristbandFunction>> & Readonly<Record<string, WristbandFunction>>;
  readonly table: ITable;
  /** The routes on the dashboard's latency graphs; default ROUTES. */
  readonly routes?: readonly { readonly method: string; readonly path: string }[];
}

/** The demo stack's order first (ROUTES, then the system functions), then any other, as added: alarms group functions in this order. */
function inDemoOrder<T>(items: readonly T[], rank: (item: T) => number): T[] {
  const at = (item: T) => (rank(item) < 0 ? Number.MAX_SAFE_INTEGER : rank(item));
  return items.map((item, i) => ({ item, i })).sort((a, b) => at(a.item) - at(b.item) || a.i - b.i).map(({ item }) => item);
}

export class WristbandMonitoring extends Construct {
  /** The topic alarms notify: created for an email address, imported for an ARN, absent otherwise. */
  readonly topic: sns.ITopic | undefined;
  readonly alarms: Readonly<Record<AlarmKey, cloudwatch.IAlarm>>;
  /** The alarms that feed the composite Throttles alarm; they notify nobody themselves. */
  readonly throttleAlarms: readonly cloudwatch.Alarm[];
  readonly metricFilters: Readonly<Record<keyof typeof GATEWAY_METRICS, MetricFilter>>;
  readonly dashboard: cloudwatch.Dashboard;

  private readonly stackName: string;
  private readonly props: WristbandMonitoringProps;

  constructor(scope: Construct, id: string, props: WristbandMonitoringProps) {
    super(scope, id);
    this.props = props;
    this.stackName = Stack.of(this).stackName;
    const { config, api, functions } = props;

    const notify = config.alarmNotify;
    if (notify?.kind === 'email') {
      const topic = new sns.Topic(this, 'AlarmTopic', { displayName: `${this.stackName} alarms`, enforceSSL: true });
      topic.addSubscription(new EmailSubscription(notify.address));
      this.topic = topic;
    } else if (notify?.kind === 'topic') {
      this.topic = sns.Topic.fromTopicArn(this, 'AlarmTopic', notify.arn);
    }

    this.metricFilters = {
      authorizerFailures: this.gatewayMetricFilter('authorizerFailures'),
      throttled: this.gatewayMetricFilter('throttled'),
    };

    const period = (spec: AlarmSpec) => Duration.minutes(spec.periodMinutes);

    const api5xx = ALARMS.api5xxRate;
    const api5xxRate = new cloudwatch.MathExpression({
      expression: `IF(requests >= ${API_5XX_MIN_REQUESTS}, 100 * errors / requests, 0)`,
      usingMetrics: {
        requests: api.api.deploymentStage.metricCount({ period: period(api5xx), statistic: 'Sum' }),
        errors: api.api.deploymentStage.metricServerError({ period: period(api5xx), statistic: 'Sum' }),
      },
      period: period(api5xx),
      label: '5xx rate (%)',
    });

    const throttles = ALARMS.throttles;
    const gatewayThrottles = this.alarm('ThrottlesGateway', throttles, this.gatewayMetric('throttled', period(throttles)), {
      notify: false,
      description: `Part of ${throttles.id}: the stage throttled ${throttles.threshold} or more requests (429) in ${throttles.periodMinutes} minutes.`,
    });
    const names = functionNames() as string[];
    const functionList = inDemoOrder(Object.values(functions), (fn) => names.indexOf(fn.wristbandName));
    const lambdaThrottles = chunk(functionList, MAX_METRICS_PER_ALARM).map((group, index) =>
      this.alarm(
        `ThrottlesLambda${index + 1}`,
        throttles,
        sumOf(
          group.map((fn) => fn.metricThrottles({ period: period(throttles), statistic: 'Sum' })),
          `Lambda throttles (${group.map((fn) => fn.wristbandName).join(', ')})`,
          period(throttles),
        ),
        {
          threshold: LAMBDA_THROTTLES_THRESHOLD,
          notify: false,
          description: `Part of ${throttles.id}: Lambda throttled ${group.map((fn) => fn.wristbandName).join(', ')} (any of them, at least once) in ${throttles.periodMinutes} minutes.`,
        },
      ),
    );
    this.throttleAlarms = [gatewayThrottles, ...lambdaThrottles];

    const dynamo = ALARMS.dynamoDbThrottles;
    this.alarms = {
      api5xxRate: this.alarm(api5xx.id, api5xx, api5xxRate),
      authorizerErrors: this.alarm(ALARMS.authorizerErrors.id, ALARMS.authorizerErrors, this.gatewayMetric('authorizerFailures', period(ALARMS.authorizerErrors))),
      throttles: this.compositeAlarm(throttles, this.throttleAlarms),
      failedLoginSpike: this.alarm(ALARMS.failedLoginSpike.id, ALARMS.failedLoginSpike, this.metric('loginFailed', period(ALARMS.failedLoginSpike))),
      refreshTokenReuse: this.alarm(ALARMS.refreshTokenReuse.id, ALARMS.refreshTokenReuse, this.metric('refreshTokenReused', period(ALARMS.refreshTokenReuse))),
      rotationFailure: this.alarm(
        ALARMS.rotationFailure.id,
        ALARMS.rotationFailure,
        functions['rotate-keys'].metricErrors({ period: period(ALARMS.rotationFailure), statistic: 'Sum' }),
      ),
      dynamoDbThrottles: this.alarm(dynamo.id, dynamo, this.tableThrottles(period(dynamo))),
    };

    this.dashboard = this.buildDashboard(api5xxRate);
  }

  /** One count metric of the catalog, summed; the total unless a reason is given. */
  metric(key: MetricKey, period: Duration = Duration.minutes(5), reason?: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: METRICS[key].name,
      dimensionsMap: {
        [DIMENSIONS.service]: SERVICE_NAME,
        [DIMENSIONS.stack]: this.stackName,
        ...(reason === undefined ? {} : { [DIMENSIONS.reason]: reason }),
      },
      statistic: 'Sum',
      period,
      label: reason === undefined ? METRICS[key].name : reason,
    });
  }

  /** A metric the access-log filters publish, summed. */
  gatewayMetric(key: keyof typeof GATEWAY_METRICS, period: Duration = Duration.minutes(5)): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: GATEWAY_METRICS[key].name,
      dimensionsMap: { [GATEWAY_METRICS_DIMENSION]: this.props.api.api.restApiId },
      statistic: 'Sum',
      period,
      label: GATEWAY_METRICS[key].name,
    });
  }

  /** Counts access log lines whose `errorType` is one of the metric's gateway response types. */
  private gatewayMetricFilter(key: keyof typeof GATEWAY_METRICS): MetricFilter {
    const spec = GATEWAY_METRICS[key];
    return new MetricFilter(this, `${pascalCase(key)}Filter`, {
      logGroup: this.props.api.accessLogs,
      filterPattern: FilterPattern.all(
        FilterPattern.exists(`$.${GATEWAY_METRICS_DIMENSION}`),
        FilterPattern.any(...spec.errorTypes.map((type) => FilterPattern.stringValue('$.errorType', '=', type))),
      ),
      metricNamespace: METRICS_NAMESPACE,
      metricName: spec.name,
      metricValue: '1',
      dimensions: { [GATEWAY_METRICS_DIMENSION]: `$.${GATEWAY_METRICS_DIMENSION}` },
      unit: cloudwatch.Unit.COUNT,
    });
  }

  /** Throttled requests of every operation the functions may call (FUNCTION_SPECS), each filled with 0 where it has no data. */
  private tableThrottles(period: Duration): cloudwatch.IMetric {
    const operations = [...new Set(Object.values(FUNCTION_SPECS).flatMap(tableActions))].map(
      (action) => action.replace('dynamodb:', '') as Operation,
    );
    return sumOf(
      operations.map((operation) =>
        this.props.table.metric('ThrottledRequests', { dimensionsMap: { TableName: this.props.table.tableName, Operation: operation }, statistic: 'Sum', period }),
      ),
      'DynamoDB throttled requests',
      period,
    );
  }

  private alarm(
    id: string,
    spec: AlarmSpec,
    metric: cloudwatch.IMetric,
    options: { threshold?: number; notify?: boolean; description?: string } = {},
  ): cloudwatch.Alarm {
    const fires = options.description ?? `${spec.summary} Fires at ${spec.threshold} or more ${spec.unit} in ${spec.periodMinutes} minutes.`;
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: `${this.stackName}-${id}`,
      alarmDescription: `${fires} Runbook: docs/operations.md#${runbookAnchor(spec)}`,
      metric,
      threshold: options.threshold ?? spec.threshold,
      evaluationPeriods: spec.evaluationPeriods,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data is no traffic (or nothing wrong): never an alarm by itself.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (options.notify !== false) this.notifyFrom(alarm);
    return alarm;
  }

  private compositeAlarm(spec: AlarmSpec, children: readonly cloudwatch.IAlarm[]): cloudwatch.CompositeAlarm {
    const alarm = new cloudwatch.CompositeAlarm(this, spec.id, {
      compositeAlarmName: `${this.stackName}-${spec.id}`,
      alarmDescription: `${spec.summary} Fires when any of its parts does. Runbook: docs/operations.md#${runbookAnchor(spec)}`,
      alarmRule: cloudwatch.AlarmRule.anyOf(...children.map((child) => cloudwatch.AlarmRule.fromAlarm(child, cloudwatch.AlarmState.ALARM))),
    });
    this.notifyFrom(alarm);
    return alarm;
  }

  /** Alarm and recovery both notify: a team should learn that it is over, too. */
  private notifyFrom(alarm: cloudwatch.Alarm | cloudwatch.CompositeAlarm): void {
    if (!this.topic) return;
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }

  private buildDashboard(api5xxRate: cloudwatch.IMetric): cloudwatch.Dashboard {
    const { api, functions } = this.props;
    const fiveMinutes = Duration.minutes(5);
    const oneMinute = Duration.minutes(1);
    const graph = (title: string, left: cloudwatch.IMetric[], options: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 12, height: 6, ...options });
    const byReason = (key: 'loginFailed' | 'authorizerRejected') => METRICS[key].reasons.map((reason) => this.metric(key, fiveMinutes, reason));
    const names = functionNames() as string[];
    const fns = inDemoOrder(Object.values(functions), (fn) => names.indexOf(fn.wristbandName));
    const routeKeys = ROUTES.map((r) => `${r.method} ${r.path}`);
    const routes = inDemoOrder(this.props.routes ?? ROUTES, (r) => routeKeys.indexOf(`${r.method} ${r.path}`));
    const routeLatency = (statistic: string) =>
      routes.map(
        (route) =>
          new cloudwatch.Metric({
            namespace: 'AWS/ApiGateway',
            metricName: 'Latency',
            dimensionsMap: { ApiName: api.api.restApiName, Stage: api.api.deploymentStage.stageName, Resource: route.path, Method: route.method },
            statistic,
            period: fiveMinutes,
            label: `${route.method} ${route.path}`,
          }),
      );

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${this.stackName}-operations`,
      defaultInterval: Duration.hours(3),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `# ${this.stackName}\nSign-in, tokens, the authorizer, the API and its dependencies. What each alarm means and what to do: docs/operations.md.`,
        width: 24,
        height: 2,
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({
        title: 'Alarms',
        alarms: [...Object.values(this.alarms), ...this.throttleAlarms],
        width: 24,
        height: 3,
      }),
    );
    dashboard.addWidgets(
      graph('Logins and registrations', [this.metric('loginSucceeded'), this.metric('loginFailed'), this.metric('lockoutStarted'), this.metric('userRegistered')]),
      graph('Session controls', [this.metric('sessionsRevoked'), this.metric('passwordChanged'), this.metric('accountDeleted')]),
      graph('Failed logins by reason', byReason('loginFailed'), { stacked: true }),
    );
    dashboard.addWidgets(
      graph(
        'Recovery and verification mail, by kind',
        METRICS.recoveryMailSent.reasons.map((kind) => this.metric('recoveryMailSent', fiveMinutes, kind)),
        { stacked: true, right: [this.metric('recoveryMailLimited'), this.metric('mailFailed')] },
      ),
      graph('Password resets and verified emails', [this.metric('passwordReset'), this.metric('emailVerified')]),
    );
    dashboard.addWidgets(
      graph('Refreshes and refresh-token reuse', [this.metric('tokenRefreshed'), this.metric('refreshTokenReplayed')], { right: [this.metric('refreshTokenReused')] }),
      graph('Key rotation', [this.metric('keyRotated')], {
        right: [functions['rotate-keys'].metricErrors({ period: fiveMinutes, statistic: 'Sum', label: 'rotation function errors' })],
      }),
    );
    dashboard.addWidgets(
      graph('Authorizer decisions (invocations: decisions are cached per token)', [
        this.metric('authorizerAllowed'),
        this.metric('authorizerDenied'),
        this.metric('authorizerRejected'),
        this.metric('authorizerFailed'),
        this.gatewayMetric('authorizerFailures'),
      ]),
      graph('Authorizer rejections by reason', byReason('authorizerRejected'), { stacked: true }),
    );
    dashboard.addWidgets(
      graph('API requests and errors', [
        api.api.deploymentStage.metricCount({ period: fiveMinutes, statistic: 'Sum', label: 'requests' }),
        api.api.deploymentStage.metricClientError({ period: fiveMinutes, statistic: 'Sum', label: '4xx' }),
        api.api.deploymentStage.metricServerError({ period: fiveMinutes, statistic: 'Sum', label: '5xx' }),
        this.gatewayMetric('throttled'),
      ]),
      graph('API 5xx rate (%)', [api5xxRate], {
        leftAnnotations: [{ value: ALARMS.api5xxRate.threshold, label: 'alarm', color: cloudwatch.Color.RED }],
      }),
    );
    dashboard.addWidgets(
      graph('Latency per route, p50 (ms)', routeLatency('p50')),
      graph('Latency per route, p99 (ms)', routeLatency('p99')),
    );
    dashboard.addWidgets(
      graph('Function errors', fns.map((fn) => fn.metricErrors({ period: fiveMinutes, statistic: 'Sum', label: fn.wristbandName })), {
        // The authorizer's 401s are function errors to Lambda (it throws "Unauthorized"): see its rejections above.
        width: 8,
      }),
      graph('Function throttles', fns.map((fn) => fn.metricThrottles({ period: fiveMinutes, statistic: 'Sum', label: fn.wristbandName })), { width: 8 }),
      graph('Function duration, p99 (ms)', fns.map((fn) => fn.metricDuration({ period: fiveMinutes, statistic: 'p99', label: fn.wristbandName })), { width: 8 }),
    );
    dashboard.addWidgets(
      graph('DynamoDB throttled requests', [this.tableThrottles(oneMinute)]),
      graph('DynamoDB consumed capacity', [
        this.props.table.metricConsumedReadCapacityUnits({ period: fiveMinutes, statistic: 'Sum', label: 'read units' }),
        this.props.table.metricConsumedWriteCapacityUnits({ period: fiveMinutes, statistic: 'Sum', label: 'write units' }),
      ]),
    );
    return dashboard;
  }
}

/** `FILL(m0, 0) + FILL(m1, 0) + ...`: a plain sum has no value in a period where any one metric has none. */
function sumOf(metrics: readonly cloudwatch.IMetric[], label: string, period: Duration): cloudwatch.MathExpression {
  const usingMetrics = Object.fromEntries(metrics.map((metric, index) => [`m${index}`, metric]));
  return new cloudwatch.MathExpression({
    expression: Object.keys(usingMetrics)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + '),
    usingMetrics,
    label,
    // An expression's period overrides its metrics' periods.
    period,
  });
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
