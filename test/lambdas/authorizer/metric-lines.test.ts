/**
 * The authorizer's metrics (tiny EMF writer) and the handlers' (Powertools
 * Metrics) must be the same metrics to CloudWatch: same namespace, names,
 * dimension sets and values. And every outcome of the authorizer has its
 * metric, every rejection reason its short dimension value.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { routeRefusal } from '../../../lambdas/contract/routes';
import { authorizerDecision, authorizerOutcome } from '../../../lambdas/authorizer/metrics';
import { emfDocument, metricsDisabled } from '../../../lambdas/telemetry/emf';
import {
  AUTHORIZER_REJECT_REASONS,
  authorizerRejectReason,
  METRICS,
  METRICS_NAMESPACE,
  type MetricKey,
  type MetricSpec,
} from '../../../lambdas/contract/metric-catalog';
import { countMetric, resetMetrics } from '../../../lambdas/telemetry/metrics';
import { captureOutput, type Capture } from '../../support/output-capture';

const STACK = 'AuthorizerMetricsTest';
let capture: Capture;
const counted = () => capture.metrics().map((p) => (p.dimensions.reason ? `${p.name}:${p.dimensions.reason}` : p.name));

beforeEach(() => {
  Object.assign(process.env, { POWERTOOLS_METRICS_DISABLED: 'false', WRISTBAND_STACK_NAME: STACK });
  resetMetrics();
  capture = captureOutput();
});
afterEach(() => capture.restore());

const API = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';

describe('authorizerOutcome', () => {
  it('counts each outcome under its metric', () => {
    authorizerOutcome('allow');
    authorizerOutcome('deny');
    authorizerOutcome('error');
    authorizerOutcome('reject', 'expired');

    expect(counted()).toEqual(['AuthorizerAllowed', 'AuthorizerDenied', 'AuthorizerFailed', 'AuthorizerRejected:expired']);
  });

  it('writes one EMF line per count, in the namespace, with the service and stack, and a reason for rejections', () => {
    authorizerOutcome('reject', 'bad_signature');

    expect(capture.metrics()).toEqual([
      {
        namespace: METRICS_NAMESPACE,
        name: 'AuthorizerRejected',
        unit: 'Count',
        value: 1,
        dimensionSets: [
          ['service', 'stack'],
          ['service', 'stack', 'reason'],
        ],
        dimensions: { service: 'wristband', stack: STACK, reason: 'bad_signature' },
      },
    ]);
    expect(capture.text().split('\n').filter(Boolean)).toHaveLength(1);
  });

  it.each([
    ['expired', 'expired'],
    ['bad_signature', 'bad_signature'],
    ['high_s', 'bad_signature'],
    ['unknown_kid', 'unknown_kid'],
    ['malformed', 'malformed'],
    ['not_a_bearer_header', 'malformed'],
    ['duplicate_member', 'malformed'],
    ['alg_not_allowed', 'bad_header'],
    ['typ_not_allowed', 'bad_header'],
    ['header_member_not_allowed', 'bad_header'],
    ['no_kid', 'bad_header'],
    ['claim_iss', 'bad_claims'],
    ['claim_aud', 'bad_claims'],
    ['claim_nbf', 'bad_claims'],
    ['bad_role', 'bad_claims'],
    ['something new', 'other'],
    [undefined, 'other'],
  ])('maps the verifier reason %s to the dimension value %s', (reason, dimension) => {
    authorizerOutcome('reject', reason);

    expect(counted()).toEqual([`AuthorizerRejected:${dimension}`]);
  });

  it('maps every rejection reason the authorizer code can produce to a named reason, never "other"', () => {
    // A new reason in the verifier would silently count as "other": add it to authorizerRejectReason.
    const root = join(__dirname, '..', '..', '..', 'lambdas');
    const sources = ['tokens', 'authorizer', 'handlers']
      .flatMap((dir) => readdirSync(join(root, dir)).map((file) => join(root, dir, file)))
      .filter((file) => file.endsWith('.ts') && !file.endsWith('rotate-keys.ts'))
      .map((file) => readFileSync(file, 'utf8'));
    const reasons = new Set<string>();
    for (const source of sources) {
      for (const [, reason] of source.matchAll(/InvalidTokenError\('([a-z_]+)'\)/g)) reasons.add(reason!);
      for (const [, reason] of source.matchAll(/reason: '([a-z_]+)'/g)) reasons.add(reason!);
    }
    reasons.delete('expired_after_authorizer_cache'); // raised by the handlers, after the authorizer

    expect(reasons.size).toBeGreaterThan(5);
    expect([...reasons].filter((reason) => authorizerRejectReason(reason) === 'other')).toEqual([]);
  });
});

describe('authorizerDecision', () => {
  /** The authorizer's own decision (authorize.ts): the policy's routeRefusal for this caller. */
  const decide = (role: 'user' | 'admin', methodArn: string) => authorizerDecision(methodArn, (route) => routeRefusal(route, { role, otp: false }, []) === undefined);

  it('counts allow when the role may call the route being called (path parameters included)', () => {
    decide('user', `${API}/GET/api/profile`);
    decide('admin', `${API}/PUT/api/users/42/role`);

    expect(counted()).toEqual(['AuthorizerAllowed', 'AuthorizerAllowed']);
  });

  it('counts deny when it may not, or when no route matches (the policy is still right for the routes it allows)', () => {
    decide('user', `${API}/GET/api/admin`);
    decide('user', `${API}/PUT/api/users/42/role`);
    decide('admin', `${API}/GET/api/profile/extra`);
    decide('admin', 'not-an-arn');

    expect(counted()).toEqual(['AuthorizerDenied', 'AuthorizerDenied', 'AuthorizerDenied', 'AuthorizerDenied']);
  });
});

describe('the switches', () => {
  it.each([
    [{ POWERTOOLS_METRICS_DISABLED: 'true' }, true],
    [{ POWERTOOLS_METRICS_DISABLED: 'false', POWERTOOLS_DEV: 'true' }, false],
    [{ POWERTOOLS_DEV: 'true' }, true],
    [{ POWERTOOLS_DEV: 'false' }, false],
    [{}, false],
  ])('%j disables metrics: %s', (env, disabled) => {
    expect(metricsDisabled(env)).toBe(disabled);
  });

  it('write nothing when disabled', () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';

    authorizerOutcome('allow');

    expect(capture.text()).toBe('');
  });
});

describe('the two writers', () => {
  const cases: [MetricKey, string | undefined][] = (Object.keys(METRICS) as MetricKey[]).map((key) => {
    const spec: MetricSpec = METRICS[key];
    return [key, spec.reasons?.[0]];
  });

  it.each(cases)('write the same EMF document for %s (reason %s)', (key, reason) => {
    // Powertools Metrics, as the handlers use it.
    (countMetric as (key: MetricKey, reason?: string) => void)(key, reason);
    const [powertools] = capture.metrics();
    const [powertoolsLine] = capture.text().split('\n');

    // The authorizer's writer.
    const tiny = emfDocument(key, reason);

    const { _aws: ptAws, ...ptRest } = JSON.parse(powertoolsLine!) as { _aws: { Timestamp: number } };
    const { _aws: tinyAws, ...tinyRest } = tiny as { _aws: { Timestamp: number } };
    expect(tinyRest).toEqual(ptRest);
    expect({ ...tinyAws, Timestamp: 0 }).toEqual({ ...ptAws, Timestamp: 0 });
    expect(powertools!.name).toBe(METRICS[key].name);
  });

  it('use a short, fixed list of reason values', () => {
    expect(AUTHORIZER_REJECT_REASONS.length).toBeLessThanOrEqual(10);
    for (const key of Object.keys(METRICS) as MetricKey[]) {
      const spec: MetricSpec = METRICS[key];
      for (const reason of spec.reasons ?? []) expect(reason).toMatch(/^[a-z_]{1,32}$/);
    }
  });
});
