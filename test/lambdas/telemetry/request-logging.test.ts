/**
 * The request-scoped log keys of the HTTP functions: a correlation id (the
 * caller's X-Correlation-Id when well-formed, API Gateway's request id
 * otherwise), API Gateway's request id always, the Lambda context; and the
 * debug sampling decision made again per invocation.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { correlationIdOf } from '../../../lambdas/telemetry/request-logging';
import { context, proxyEvent } from '../../support/events';
import { captureOutput } from '../../support/output-capture';

type Handler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

const withHeaders = (headers: Record<string, string>) => proxyEvent({ headers });

describe('correlationIdOf', () => {
  it.each([
    [{ 'X-Correlation-Id': 'order-service:4f1c.9a_2-b' }, 'order-service:4f1c.9a_2-b'],
    [{ 'x-correlation-id': '  abc123  ' }, 'abc123'],
    [{ 'X-Correlation-Id': 'has spaces in it' }, 'test-request'],
    [{ 'X-Correlation-Id': 'line\nbreak' }, 'test-request'],
    [{ 'X-Correlation-Id': '{"json":true}' }, 'test-request'],
    [{ 'X-Correlation-Id': 'x'.repeat(129) }, 'test-request'],
    [{ 'X-Correlation-Id': '' }, 'test-request'],
    [{}, 'test-request'],
  ])('%j gives %s', (headers, expected) => {
    expect(correlationIdOf(withHeaders(headers))).toBe(expected);
  });

  it('is undefined for an event without a request id or a header', () => {
    expect(correlationIdOf({} as APIGatewayProxyEvent)).toBeUndefined();
    expect(correlationIdOf(undefined)).toBeUndefined();
  });
});

describe('the log lines of an HTTP function', () => {
  async function run(envOverrides: Record<string, string>, events: APIGatewayProxyEvent[]): Promise<Record<string, unknown>[]> {
    jest.resetModules();
    const saved = { ...process.env };
    Object.assign(process.env, envOverrides);
    const capture = captureOutput();
    try {
      // root: no dependencies, so only the request-scoped lines are written.
      const { handler } = (await import('../../../lambdas/handlers/root')) as { handler: Handler };
      for (const event of events) await handler(event, context('root'));
      return capture.logLines();
    } finally {
      capture.restore();
      process.env = saved;
    }
  }

  it('carry the correlation id, API Gateway request id and Lambda context, and the route, never the path', async () => {
    const event = { ...withHeaders({ 'X-Correlation-Id': 'caller-42' }), resource: '/api/users/{id}', path: '/api/users/u-1234' };

    const [line] = await run({ POWERTOOLS_LOG_LEVEL: 'DEBUG' }, [event]);

    expect(line).toMatchObject({
      level: 'DEBUG',
      message: 'request',
      correlationId: 'caller-42',
      apiRequestId: 'test-request',
      function_name: 'wristband-local-root',
      function_request_id: 'test-request',
      resource: '/api/users/{id}',
    });
    expect(JSON.stringify(line)).not.toContain('u-1234');
  });

  it('use the request id as correlation id without a usable header, and forget the previous request', async () => {
    const lines = await run({ POWERTOOLS_LOG_LEVEL: 'DEBUG' }, [
      withHeaders({ 'X-Correlation-Id': 'first-caller' }),
      { ...withHeaders({ 'X-Correlation-Id': 'not a token' }), requestContext: { requestId: 'second' } as APIGatewayProxyEvent['requestContext'] },
    ]);

    expect(lines.map((l) => [l.correlationId, l.apiRequestId])).toEqual([
      ['first-caller', 'test-request'],
      ['second', 'second'],
    ]);
  });

  it('log at DEBUG on every invocation when the sample rate is 1, whatever the level', async () => {
    const lines = await run({ POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_LOGGER_SAMPLE_RATE: '1' }, [proxyEvent(), proxyEvent(), proxyEvent()]);

    expect(lines.filter((l) => l.message === 'request')).toHaveLength(3);
  });

  it('log nothing below the level when the sample rate is 0', async () => {
    expect(await run({ POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_LOGGER_SAMPLE_RATE: '0' }, [proxyEvent(), proxyEvent()])).toEqual([]);
  });
});
