/**
 * X-Ray: what the functions put in traces, and what they never do. The
 * helpers are checked with a recording tracer over real X-Ray segment
 * objects; then the login and rotation functions run as in Lambda (tracer
 * on) inside a segment, and the segment they leave behind is read: the
 * DynamoDB, Secrets Manager and SSM calls are there, the tokens, passwords
 * and keys are not.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { Segment, type Subsegment } from 'aws-xray-sdk-core';
import { parseSigningKey } from '../../../lambdas/keys/key-set';
import { awsSubsegment, tracedHandler, type TracerLike } from '../../../lambdas/telemetry/tracing';
import { setUpEnvironment } from '../../support/environment';
import { proxyEvent } from '../../support/events';
import { FAKE_SECRET_ARN, type FakeSecrets, serveFakeAwsKeys } from '../keys/fake-secrets';

/** A tracer that is on, with `parent` as the current segment, recording what it is asked to do. */
function recordingTracer(parent: Segment | Subsegment | undefined, enabled = true) {
  const calls: string[] = [];
  let current: Segment | Subsegment | undefined = parent;
  const tracer: TracerLike = {
    isTracingEnabled: () => enabled,
    getSegment: () => current,
    setSegment: (segment) => {
      current = segment;
      calls.push(`setSegment ${segment.name}`);
    },
    annotateColdStart: () => void calls.push('annotateColdStart'),
    addServiceNameAnnotation: () => void calls.push('addServiceNameAnnotation'),
    addErrorAsMetadata: (error) => void calls.push(`addErrorAsMetadata ${error.message}`),
  };
  return { tracer, calls, current: () => current };
}

type Node = { name: string; subsegments?: Node[]; [key: string]: unknown };
/** Every subsegment under a segment, depth first, as plain data. */
function subsegmentsOf(segment: Segment | Subsegment): Node[] {
  const out: Node[] = [];
  const walk = (node: Node) => {
    for (const child of node.subsegments ?? []) {
      out.push(child);
      walk(child);
    }
  };
  walk(JSON.parse(JSON.stringify(segment)) as Node);
  return out;
}

describe('tracedHandler', () => {
  it('calls straight through when tracing is off, or on without a segment', async () => {
    const off = recordingTracer(new Segment('x'), false);
    const noSegment = recordingTracer(undefined);

    expect(await tracedHandler(async (x: number) => x + 1, off.tracer)(1)).toBe(2);
    expect(await tracedHandler(async (x: number) => x + 2, noSegment.tracer)(1)).toBe(3);
    expect([...off.calls, ...noSegment.calls]).toEqual([]);
  });

  it('runs the handler in a "## handler" subsegment, annotated, and never records the response', async () => {
    const root = new Segment('wristband-test');
    const { tracer, calls, current } = recordingTracer(root);
    const secretResponse = { accessToken: 'eyJ-a-token-that-must-not-be-traced' };

    const result = await tracedHandler(async () => secretResponse, tracer)();

    expect(result).toBe(secretResponse);
    const [handler] = subsegmentsOf(root);
    expect(handler!.name).toMatch(/^## /);
    expect(handler!.end_time).toEqual(expect.any(Number));
    expect(calls).toEqual([`setSegment ${handler!.name}`, 'annotateColdStart', 'addServiceNameAnnotation', 'setSegment wristband-test']);
    expect(current()).toBe(root);
    expect(JSON.stringify(root)).not.toContain(secretResponse.accessToken);
  });

  it('records an error, closes the subsegment and rethrows', async () => {
    const root = new Segment('wristband-test');
    const { tracer, calls, current } = recordingTracer(root);

    await expect(
      tracedHandler(async () => {
        throw new Error('boom');
      }, tracer)(),
    ).rejects.toThrow('boom');

    expect(calls).toContain('addErrorAsMetadata boom');
    expect(subsegmentsOf(root)[0]!.end_time).toEqual(expect.any(Number));
    expect(current()).toBe(root);
  });
});

describe('awsSubsegment', () => {
  it('calls straight through when tracing is off or there is no segment', async () => {
    expect(await awsSubsegment('SSM', 'GetParameter', 'eu-west-1', async () => 'off', recordingTracer(new Segment('x'), false).tracer)).toBe('off');
    expect(await awsSubsegment('SSM', 'GetParameter', 'eu-west-1', async () => 'none', recordingTracer(undefined).tracer)).toBe('none');
  });

  it('names the subsegment after the service, in the aws namespace, with the operation and region only', async () => {
    const root = new Segment('wristband-test');

    await awsSubsegment('Secrets Manager', 'GetSecretValue', 'eu-west-1', async () => ({ SecretString: '{"d":"private"}' }), recordingTracer(root).tracer);

    const [call] = subsegmentsOf(root);
    expect(call).toMatchObject({ name: 'Secrets Manager', namespace: 'aws', aws: { operation: 'GetSecretValue', region: 'eu-west-1' } });
    expect(call!.end_time).toEqual(expect.any(Number));
    expect(JSON.stringify(root)).not.toContain('private');
  });

  it.each([
    [{ status: 400, name: 'ThrottlingException' }, { throttle: true, error: true }],
    [{ status: 429, name: 'TooManyRequests' }, { throttle: true, error: true }],
    [{ status: 403, name: 'AccessDeniedException' }, { error: true }],
    [{ status: 500, name: 'InternalFailure' }, { fault: true }],
    [{ status: 0, name: 'NetworkError' }, { fault: true }],
  ])('flags a failed call %j as %j and rethrows', async (fields, flags) => {
    const root = new Segment('wristband-test');
    const failure = Object.assign(new Error('failed'), fields);

    await expect(awsSubsegment('SSM', 'GetParameter', 'eu-west-1', () => Promise.reject(failure), recordingTracer(root).tracer)).rejects.toBe(failure);

    const [call] = subsegmentsOf(root);
    expect({ throttle: call!.throttle, error: call!.error, fault: call!.fault }).toEqual({ throttle: undefined, error: undefined, fault: undefined, ...flags });
  });
});

describe('the functions, traced as in Lambda', () => {
  type Handler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
  // The SDK of the module registry the handlers load, so that both see one X-Ray context.
  let xray: typeof import('aws-xray-sdk-core');
  const saved = { ...process.env };

  async function inSegment<T>(act: () => Promise<T>): Promise<{ result: T; segment: Segment }> {
    const segment = new xray.Segment('wristband-function');
    const result = await xray.getNamespace().runPromise(async () => {
      xray.setSegment(segment);
      return act();
    });
    return { result, segment };
  }

  beforeAll(async () => {
    jest.resetModules();
    // What turns Powertools Tracer on: the Lambda execution environment.
    Object.assign(process.env, { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x', _HANDLER: 'index.handler' });
    await setUpEnvironment();
    xray = await import('aws-xray-sdk-core');
  });

  afterAll(() => {
    for (const key of ['AWS_EXECUTION_ENV', '_HANDLER']) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it('login: DynamoDB calls as subsegments of the handler, and no token, password or email anywhere in the trace', async () => {
    const load = async (name: string) => ((await import(`../../../lambdas/handlers/${name}`)) as { handler: Handler }).handler;
    const tracing = await import('../../../lambdas/telemetry/tracing');
    expect(tracing.tracer.isTracingEnabled()).toBe(true);
    const [register, login] = [await load('register'), await load('login')];
    const email = `traced-${Date.now()}@example.com`;
    const password = 'a traced passphrase of mine';
    expect((await inSegment(() => register(proxyEvent({ httpMethod: 'POST', json: { email, password } })))).result.statusCode).toBe(201);

    const { result, segment } = await inSegment(() => login(proxyEvent({ httpMethod: 'POST', json: { email, password } })));

    expect(result.statusCode).toBe(200);
    const { accessToken, refreshToken } = JSON.parse(result.body) as { accessToken: string; refreshToken: string };
    const nodes = subsegmentsOf(segment);
    expect(nodes[0]!.name).toBe('## index.handler');
    const dynamo = nodes.filter((n) => n.name === 'DynamoDB');
    expect(dynamo.map((n) => (n.aws as { operation: string }).operation)).toEqual(expect.arrayContaining(['BatchGetItem', 'BatchWriteItem']));
    for (const call of dynamo) {
      const aws = call.aws as { table_name?: string; table_names?: string[] };
      expect([call.namespace, aws.table_name ?? aws.table_names?.[0]]).toEqual(['aws', process.env.TABLE_NAME]);
    }
    const trace = JSON.stringify(segment);
    for (const secret of [accessToken, refreshToken, password, email]) expect(trace).not.toContain(secret);
  });

  describe('rotation', () => {
    const SECRET_ARN = FAKE_SECRET_ARN;
    let fake: FakeSecrets;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ fake, close } = await serveFakeAwsKeys());
    });

    afterAll(async () => {
      await close();
    });

    it('rotate-keys: Secrets Manager and SSM calls as aws subsegments, and no private key in the trace', async () => {
      const { handler } = await import('../../../lambdas/handlers/rotate-keys');
      fake.startRotation('token-1');
      const segments: Segment[] = [];

      for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
        segments.push((await inSegment(() => handler({ SecretId: SECRET_ARN, ClientRequestToken: 'token-1', Step }))).segment);
      }

      const calls = segments.flatMap(subsegmentsOf).filter((n) => n.namespace === 'aws');
      const named = new Set(calls.map((n) => `${n.name} ${(n.aws as { operation: string }).operation}`));
      expect([...named]).toEqual(
        expect.arrayContaining(['Secrets Manager DescribeSecret', 'Secrets Manager GetSecretValue', 'Secrets Manager PutSecretValue', 'SSM GetParameter', 'SSM PutParameter']),
      );
      const { d } = parseSigningKey(fake.getSecretValue({ stage: 'AWSCURRENT' }).value).privateJwk;
      expect(d.length).toBeGreaterThan(20);
      for (const segment of segments) expect(JSON.stringify(segment)).not.toContain(d);
    });
  });
});
