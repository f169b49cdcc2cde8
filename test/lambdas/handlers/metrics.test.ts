/**
 * Each outcome of a handler writes its metric: the EMF lines the handlers
 * print on stdout are captured and read back, as CloudWatch Logs would.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { METRICS_NAMESPACE } from '../../../lambdas/contract/metric-catalog';
import { setUpEnvironment } from '../../support/environment';
import { proxyEvent } from '../../support/events';
import { FAKE_SECRET_ARN, type FakeSecrets, serveFakeAwsKeys } from '../keys/fake-secrets';
import { captureOutput, type Capture, type EmfPoint } from '../../support/output-capture';

type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

const STACK = 'MetricsTestStack';
const PASSWORD = 'a long passphrase of mine';

/** `Name` or `Name:reason`, in the order written. */
const counted = (points: EmfPoint[]) => points.map((p) => (p.dimensions.reason ? `${p.name}:${p.dimensions.reason}` : p.name));

// Everything the handlers write is captured (the set-up calls' lines too, so the terminal stays quiet); metricsOf reads one act's lines.
let capture: Capture;
beforeEach(() => {
  capture = captureOutput();
});
afterEach(() => capture.restore());

async function metricsOf<T>(act: () => Promise<T>): Promise<{ result: T; points: EmfPoint[]; text: string }> {
  capture.clear();
  const result = await act();
  return { result, points: capture.metrics(), text: capture.text() };
}

describe('the HTTP handlers', () => {
  let h: Record<'register' | 'login' | 'refresh', Handler>;
  const post = (json: unknown) => proxyEvent({ httpMethod: 'POST', json });
  let n = 0;
  const freshEmail = () => `metrics-${++n}-${Date.now()}@example.com`;
  const register = async (email: string) => expect((await h.register(post({ email, password: PASSWORD }))).statusCode).toBe(201);
  const login = (email: string, password = PASSWORD) => h.login(post({ email, password }));

  beforeAll(async () => {
    jest.resetModules();
    await setUpEnvironment({ POWERTOOLS_METRICS_DISABLED: 'false', LOGIN_MAX_ATTEMPTS: '3', WRISTBAND_STACK_NAME: STACK });
    const load = async (name: string) => ((await import(`../../../lambdas/handlers/${name}`)) as { handler: Handler }).handler;
    h = { register: await load('register'), login: await load('login'), refresh: await load('refresh') };
  });

  it('count a registration as UserRegistered, in the namespace, with the service and stack only', async () => {
    const email = freshEmail();

    const { result, points, text } = await metricsOf(() => h.register(post({ email, password: PASSWORD })));

    expect(result.statusCode).toBe(201);
    expect(points).toEqual([
      { namespace: METRICS_NAMESPACE, name: 'UserRegistered', unit: 'Count', value: 1, dimensionSets: [['service', 'stack']], dimensions: { service: 'wristband', stack: STACK } },
    ]);
    const userId = JSON.parse(result.body).user.id as string;
    expect(text).not.toContain(email);
    expect(text).not.toContain(userId);
  });

  it('count nothing for a refused registration', async () => {
    const email = freshEmail();
    await register(email);

    expect(counted((await metricsOf(() => h.register(post({ email, password: PASSWORD })))).points)).toEqual([]);
    expect(counted((await metricsOf(() => h.register(post({ email: freshEmail(), password: 'short' })))).points)).toEqual([]);
  });

  it('count a login as LoginSucceeded', async () => {
    const email = freshEmail();
    await register(email);

    const { result, points } = await metricsOf(() => login(email));

    expect(result.statusCode).toBe(200);
    expect(counted(points)).toEqual(['LoginSucceeded']);
  });

  it('count a wrong password and an unknown email as LoginFailed, in total and by reason', async () => {
    const email = freshEmail();
    await register(email);

    const wrong = await metricsOf(() => login(email, 'not the passphrase at all'));
    const unknown = await metricsOf(() => login(freshEmail()));

    expect([wrong.result.statusCode, unknown.result.statusCode]).toEqual([401, 401]);
    expect(counted(wrong.points)).toEqual(['LoginFailed:wrong_password']);
    expect(counted(unknown.points)).toEqual(['LoginFailed:unknown_email']);
    expect(wrong.points[0]!.dimensionSets).toEqual([
      ['service', 'stack'],
      ['service', 'stack', 'reason'],
    ]);
    expect(wrong.text).not.toContain(email);
  });

  it('count the failure that locks an email as LockoutStarted, and later logins as LoginFailed locked_out', async () => {
    const email = freshEmail();
    await register(email);

    const failures = [];
    for (let i = 0; i < 3; i++) failures.push(counted((await metricsOf(() => login(email, 'not the passphrase at all'))).points));
    const locked = await metricsOf(() => login(email));

    expect(failures).toEqual([['LoginFailed:wrong_password'], ['LoginFailed:wrong_password'], ['LoginFailed:wrong_password', 'LockoutStarted']]);
    expect(locked.result.statusCode).toBe(429);
    expect(counted(locked.points)).toEqual(['LoginFailed:locked_out']);
  });

  it('count nothing for a login request that is not a login attempt', async () => {
    const { result, points } = await metricsOf(() => h.login(post({ email: freshEmail() })));

    expect(result.statusCode).toBe(400);
    expect(points).toEqual([]);
  });

  it('count a refresh as TokenRefreshed, a replay within the interval as RefreshTokenReplayed, and reuse as RefreshTokenReused', async () => {
    const email = freshEmail();
    await register(email);
    const { refreshToken } = JSON.parse((await login(email)).body) as { refreshToken: string };

    const first = await metricsOf(() => h.refresh(post({ refreshToken })));
    const replayed = await metricsOf(() => h.refresh(post({ refreshToken })));
    await h.refresh(post({ refreshToken: JSON.parse(first.result.body).refreshToken }));
    // Its successor is used now: this token is an older ancestor, which the interval does not cover.
    const again = await metricsOf(() => h.refresh(post({ refreshToken })));
    const unknown = await metricsOf(() => h.refresh(post({ refreshToken: 'A'.repeat(43) })));

    expect([first.result.statusCode, replayed.result.statusCode, again.result.statusCode, unknown.result.statusCode]).toEqual([200, 200, 401, 401]);
    expect(counted(first.points)).toEqual(['TokenRefreshed']);
    expect(counted(replayed.points)).toEqual(['RefreshTokenReplayed', 'TokenRefreshed']);
    expect(counted(again.points)).toEqual(['RefreshTokenReused']);
    expect(counted(unknown.points)).toEqual([]);
    expect(again.text).not.toContain(refreshToken);
  });

  it('write nothing when metrics are disabled', async () => {
    jest.resetModules();
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    try {
      const quiet = ((await import('../../../lambdas/handlers/register')) as { handler: Handler }).handler;

      const { result, points } = await metricsOf(() => quiet(post({ email: freshEmail(), password: PASSWORD })));

      expect(result.statusCode).toBe(201);
      expect(points).toEqual([]);
    } finally {
      process.env.POWERTOOLS_METRICS_DISABLED = 'false';
    }
  });
});

describe('the rotation function', () => {
  const SECRET_ARN = FAKE_SECRET_ARN;
  let fake: FakeSecrets;
  let close: () => Promise<void>;

  beforeAll(async () => {
    jest.resetModules();
    ({ fake, close } = await serveFakeAwsKeys());
    Object.assign(process.env, { POWERTOOLS_METRICS_DISABLED: 'false', WRISTBAND_STACK_NAME: STACK });
  });

  afterAll(async () => {
    await close();
  });

  it('counts KeyRotated once, when finishSecret makes the new key current', async () => {
    const { handler } = await import('../../../lambdas/handlers/rotate-keys');
    fake.startRotation('token-1');

    const perStep: string[][] = [];
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      perStep.push(counted((await metricsOf(() => handler({ SecretId: SECRET_ARN, ClientRequestToken: 'token-1', Step }))).points));
    }

    expect(fake.versionWith('AWSCURRENT')).toBe('token-1');
    expect(perStep).toEqual([[], [], [], ['KeyRotated']]);
  });
});
