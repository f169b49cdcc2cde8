/**
 * The authorizer's own log lines: Powertools' shape and level rules, so
 * its lines read like every other function's.
 */
import { AuthorizerLog } from '../../../lambdas/authorizer/log';
import fs from 'node:fs';

function capture(env: Record<string, string | undefined>) {
  const lines: { level: string; json: Record<string, unknown>; raw: string }[] = [];
  const log = new AuthorizerLog(env, (level, raw) => lines.push({ level, raw, json: JSON.parse(raw) as Record<string, unknown> }));
  return { log, lines };
}

describe('AuthorizerLog', () => {
  it('writes one JSON line with the keys Powertools writes, then the attributes', () => {
    const { log, lines } = capture({ POWERTOOLS_SERVICE_NAME: 'wristband', _X_AMZN_TRACE_ID: 'Root=1-abc-def;Parent=12;Sampled=0' });
    log.startInvocation({ functionName: 'authz', awsRequestId: 'req-1', invokedFunctionArn: 'arn:fn', memoryLimitInMB: '512' });

    log.info('token rejected', { reason: 'expired' });

    expect(lines).toHaveLength(1);
    expect(lines[0]!.raw.endsWith('}\n')).toBe(true);
    expect(Object.keys(lines[0]!.json)).toEqual([
      'level',
      'message',
      'timestamp',
      'service',
      'cold_start',
      'function_arn',
      'function_memory_size',
      'function_name',
      'function_request_id',
      'sampling_rate',
      'xray_trace_id',
      'reason',
    ]);
    expect(lines[0]!.json).toMatchObject({
      level: 'INFO',
      message: 'token rejected',
      service: 'wristband',
      cold_start: true,
      function_memory_size: 512,
      function_request_id: 'req-1',
      xray_trace_id: '1-abc-def',
      reason: 'expired',
    });
    expect(new Date(lines[0]!.json.timestamp as string).toISOString()).toBe(lines[0]!.json.timestamp);
  });

  it('marks only the first invocation of the container as a cold start', () => {
    const { log, lines } = capture({});
    log.startInvocation({ awsRequestId: '1' });
    log.info('a');
    log.startInvocation({ awsRequestId: '2' });
    log.info('b');

    expect(lines.map((l) => l.json.cold_start)).toEqual([true, false]);
  });

  it.each([
    [{}, ['INFO', 'ERROR']],
    [{ POWERTOOLS_LOG_LEVEL: 'warn' }, ['ERROR']],
    [{ POWERTOOLS_LOG_LEVEL: 'SILENT' }, []],
    [{ POWERTOOLS_LOG_LEVEL: 'SILENT', AWS_LAMBDA_LOG_LEVEL: 'INFO' }, ['INFO', 'ERROR']],
    [{ LOG_LEVEL: 'ERROR' }, ['ERROR']],
    [{ POWERTOOLS_LOG_LEVEL: 'nonsense' }, ['INFO', 'ERROR']],
  ])('with %j writes %j', (env, levels) => {
    const { log, lines } = capture(env);
    log.info('i');
    log.error('e');
    expect(lines.map((l) => l.level)).toEqual(levels);
  });

  it('pretty-prints in Powertools dev mode (the local stack in a terminal)', () => {
    const { log, lines } = capture({ POWERTOOLS_DEV: 'true' });
    log.info('i');
    expect(lines[0]!.raw).toContain('\n    "level": "INFO"');
  });

  it('writes ERROR to stderr and INFO to stdout by default, straight to the descriptors', () => {
    const written: [number, string][] = [];
    const spy = jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, data: Buffer, offset = 0) => {
      written.push([fd, data.subarray(offset).toString()]);
      return data.length - offset;
    }) as unknown as typeof fs.writeSync);
    try {
      const log = new AuthorizerLog({});
      log.info('to stdout');
      log.error('to stderr');
      expect(written.map(([fd, text]) => [fd, JSON.parse(text).message])).toEqual([
        [1, 'to stdout'],
        [2, 'to stderr'],
      ]);
    } finally {
      spy.mockRestore();
    }
  });
});
