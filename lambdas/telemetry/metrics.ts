/**
 * The handlers' metrics (AWS Lambda Powertools Metrics, embedded metric
 * format): one EMF line on stdout per event, written at once rather than
 * batched until the end of the invocation, so a count is never lost to a
 * timeout and never needs a flush in every handler.
 *
 * Names, namespace and dimensions come from METRICS (metric-catalog.ts).
 * Off when POWERTOOLS_METRICS_DISABLED is true, and by default in
 * POWERTOOLS_DEV (the local stack on a terminal).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { baseDimensions, METRICS, METRICS_NAMESPACE, type MetricKey, type ReasonOf } from '../contract/metric-catalog';

let metrics: Metrics | undefined;

/** Created on first use, so that the environment a test or the local stack sets before the first event applies. */
function instance(): Metrics {
  if (!metrics) {
    const { service, stack } = baseDimensions();
    metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service, defaultDimensions: { stack } });
  }
  return metrics;
}

/**
 * Counts one event. A metric that takes a reason is published with two
 * dimension sets in the same line: the total (`service`, `stack`), which
 * the alarms watch, and the breakdown (`service`, `stack`, `reason`).
 */
export function countMetric<K extends MetricKey>(metric: K, ...reason: ReasonOf<K> extends never ? [] : [ReasonOf<K>]): void {
  const m = instance();
  const [why] = reason as [string?];
  if (why !== undefined) {
    m.addDimensions({});
    m.addDimensions({ reason: why });
  }
  m.addMetric(METRICS[metric].name, MetricUnit.Count, 1);
  m.publishStoredMetrics();
}

/** Forgets the instance (tests that change the environment between cases). */
export function resetMetrics(): void {
  metrics = undefined;
}
