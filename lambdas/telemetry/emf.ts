/**
 * A tiny CloudWatch embedded metric format (EMF) writer: one JSON line on
 * stdout per data point, which CloudWatch Logs turns into a metric.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 *
 * The handlers use Powertools Metrics (lambdas/telemetry/metrics.ts); this
 * exists for the authorizer, whose bundle Powertools Metrics would grow by
 * ~11 KB against a 60 KB budget. Both write the same line for the same
 * metric (checked by test/lambdas/authorizer/metric-lines.test.ts › the two
 * writers), and both follow
 * the same switches: POWERTOOLS_METRICS_DISABLED, else off in POWERTOOLS_DEV.
 */
import { baseDimensions, DIMENSIONS, METRICS, METRICS_NAMESPACE, type MetricKey } from '../contract/metric-catalog';
import { STDOUT, writeText } from './write-line';

type Env = Readonly<Record<string, string | undefined>>;

const TRUE = new Set(['1', 'y', 'yes', 't', 'true', 'on']);
const isTrue = (value: string | undefined) => value !== undefined && TRUE.has(value.trim().toLowerCase());

/** Powertools' rule: POWERTOOLS_METRICS_DISABLED decides when set; otherwise dev mode (the local stack on a terminal) disables. */
export function metricsDisabled(env: Env = process.env): boolean {
  const disabled = env.POWERTOOLS_METRICS_DISABLED;
  if (disabled !== undefined) return isTrue(disabled);
  return isTrue(env.POWERTOOLS_DEV);
}

/** The EMF document for one count of `metric`, with its reason if it takes one. */
export function emfDocument(metric: MetricKey, reason?: string, env: Env = process.env, now: number = Date.now()): Record<string, unknown> {
  const { service, stack } = baseDimensions(env);
  const base = [DIMENSIONS.service, DIMENSIONS.stack];
  const name = METRICS[metric].name;
  return {
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: reason === undefined ? [base] : [base, [...base, DIMENSIONS.reason]],
          Metrics: [{ Name: name, Unit: 'Count' }],
        },
      ],
    },
    service,
    stack,
    ...(reason === undefined ? {} : { reason }),
    [name]: 1,
  };
}

/**
 * The line for a (metric, reason, dimensions) split around its timestamp,
 * the only part that changes: the authorizer writes one per invocation, so
 * it is serialized once, not per call.
 */
const templates = new Map<string, readonly [string, string]>();
const TIMESTAMP_SLOT = -1;

/** Writes one count of `metric` as an EMF line (nothing when metrics are disabled). */
export function emitCount(metric: MetricKey, reason?: string): void {
  if (metricsDisabled()) return;
  const { service, stack } = baseDimensions(process.env);
  const key = `${metric}\n${reason ?? ''}\n${service}\n${stack}`;
  let template = templates.get(key);
  if (!template) {
    const [before, after] = JSON.stringify(emfDocument(metric, reason, process.env, TIMESTAMP_SLOT)).split(`"Timestamp":${TIMESTAMP_SLOT}`);
    template = [`${before}"Timestamp":`, `${after}\n`];
    templates.set(key, template);
  }
  writeText(STDOUT, template[0] + Date.now() + template[1]);
}
