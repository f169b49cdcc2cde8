import type { Context } from 'aws-lambda';
import { adminOf, callerOf, DEADLINE_MARGIN_MS, errorResponse, httpHandler, isJsonMediaType, jsonResponse, noContent, toRequest } from '../../../lambdas/edge/http';
import { InvalidCredentialsError, InvalidTokenError, NotFoundError, TooManyAttemptsError, UnauthorizedError, ValidationError } from '../../../lambdas/contract/errors';
import { proxyEvent } from '../../support/events';

describe('reading the body', () => {
  const parse = (overrides: Parameters<typeof proxyEvent>[0]) => toRequest(proxyEvent(overrides)).jsonBody();

  it('parses JSON with a charset', () => {
    expect(parse({ body: '{"a":1}', headers: { 'content-type': 'application/json; charset=utf-8' } })).toEqual({ a: 1 });
  });

  it('finds Content-Type in any case, and in multiValueHeaders', () => {
    expect(parse({ body: '{"a":1}', headers: { 'CONTENT-TYPE': 'application/json' } })).toEqual({ a: 1 });
    expect(parse({ body: '{"a":1}', headers: {}, multiValueHeaders: { 'Content-Type': ['application/json'] } })).toEqual({ a: 1 });
  });

  it('decodes base64 bodies', () => {
    const body = Buffer.from('{"b":2}').toString('base64');
    expect(parse({ body, isBase64Encoded: true, headers: { 'Content-Type': 'application/json' } })).toEqual({ b: 2 });
  });

  it('treats an absent or blank body as no body', () => {
    expect(parse({ body: null })).toBeUndefined();
    expect(parse({ body: '   ', headers: { 'Content-Type': 'application/json' } })).toBeUndefined();
  });

  it.each([
    ['no content type', { body: '{}', headers: {} }, 'unsupported_media_type'],
    ['text/plain', { body: '{}', headers: { 'Content-Type': 'text/plain' } }, 'unsupported_media_type'],
    ['application/jsonp', { body: '{}', headers: { 'Content-Type': 'application/jsonp' } }, 'unsupported_media_type'],
    ['broken JSON', { body: '{"a":', headers: { 'Content-Type': 'application/json' } }, 'invalid_json'],
    ['invalid UTF-8', { body: Buffer.from([0x7b, 0xff, 0x7d]).toString('base64'), isBase64Encoded: true, headers: { 'Content-Type': 'application/json' } }, 'invalid_json'],
    ['a body that is not a string', { body: 42 as unknown as string, headers: { 'Content-Type': 'application/json' } }, 'invalid_json'],
    ['16 KiB + 1 byte', { body: `"${'x'.repeat(16 * 1024 - 1)}"`, headers: { 'Content-Type': 'application/json' } }, 'payload_too_large'],
    ['a huge base64 body', { body: 'A'.repeat(40 * 1024), isBase64Encoded: true, headers: { 'Content-Type': 'application/json' } }, 'payload_too_large'],
  ])('refuses %s', (_case, overrides, code) => {
    expect(() => parse(overrides as Parameters<typeof proxyEvent>[0])).toThrow(expect.objectContaining({ code }));
  });

  it.each([
    ['latin1', 'application/json; charset=latin1'],
    ['ISO-8859-1, quoted', 'application/json; charset="ISO-8859-1"'],
    ['utf-16', 'application/json;charset=UTF-16'],
    ['utf8 (not the registered name)', 'application/json; charset=utf8'],
    ['an empty charset', 'application/json; charset='],
    ['UTF-8 then another charset', 'application/json; charset=utf-8; charset=latin1'],
  ])('refuses a charset other than UTF-8 (%s) with 415', (_case, type) => {
    expect(() => parse({ body: '{"a":1}', headers: { 'Content-Type': type } })).toThrow(expect.objectContaining({ code: 'unsupported_media_type', status: 415 }));
  });

  it.each(['application/json; charset=UTF-8', 'application/json;charset="utf-8"', 'Application/JSON ; Charset = Utf-8 ', 'application/json; boundary=x'])(
    'accepts UTF-8 in any spelling: %s',
    (type) => expect(parse({ body: '{"a":1}', headers: { 'Content-Type': type } })).toEqual({ a: 1 }),
  );

  it('refuses U+FFFD in a text body (what API Gateway leaves of bytes that were not UTF-8) with 400 invalid_json', () => {
    const garbled = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]).toString('utf8');
    expect(garbled).toBe('{"a":"\ufffd"}');
    expect(() => parse({ body: garbled, headers: { 'Content-Type': 'application/json' } })).toThrow(expect.objectContaining({ code: 'invalid_json', status: 400 }));
  });

  it.each([
    ['top level', '{"a":1,"a":2}', 'a'],
    ['an escaped spelling', '{"a":1,"\\u0061":2}', 'a'],
    ['whitespace around', '{ "email" : "x" ,\n\t"email":"y"}', 'email'],
    ['a nested object', '{"items":[{"sku":"a","quantity":1},{"sku":"b","sku":"c"}]}', 'items[1].sku'],
    ['an escaped quote in the name', '{"a\\"b":1,"a\\u0022b":2}', 'a"b'],
  ])('refuses duplicate members (%s) with 400 validation_error naming the field', (_case, body, field) => {
    expect(() => parse({ body, headers: { 'Content-Type': 'application/json' } })).toThrow(
      expect.objectContaining({ code: 'validation_error', status: 400, details: [{ field, message: 'appears more than once' }] }),
    );
  });

  it.each([
    ['the same name in sibling objects', '{"a":{"x":1},"b":{"x":2}}'],
    ['names that only look alike', '{"a":1,"A":2,"a ":3,"\\u00e9":4,"e\\u0301":5}'],
    ['a name repeated as a value', '{"a":"a","b":["a","a"]}'],
    ['brackets and quotes inside strings', '{"a":"{\\"a\\":1}","b":"[,"}'],
  ])('accepts %s', (_case, body) => {
    expect(parse({ body, headers: { 'Content-Type': 'application/json' } })).toEqual(JSON.parse(body));
  });

  it('accepts exactly 16 KiB', () => {
    const body = `"${'x'.repeat(16 * 1024 - 2)}"`;
    expect(Buffer.byteLength(body)).toBe(16 * 1024);
    expect(parse({ body, headers: { 'Content-Type': 'application/json' } })).toHaveLength(16 * 1024 - 2);
  });

  it('survives events of any shape', () => {
    const request = toRequest(null as never);
    expect(request.header('x')).toBeUndefined();
    expect(request.query('x')).toBeUndefined();
    expect(request.jsonBody()).toBeUndefined();
    expect(toRequest({ queryStringParameters: { limit: 5 } } as never).query('limit')).toBeUndefined();
    expect(toRequest({ queryStringParameters: Object.create({ inherited: 'x' }) } as never).query('inherited')).toBeUndefined();
  });
});

describe('isJsonMediaType', () => {
  it.each([
    ['application/json', true],
    ['APPLICATION/JSON;charset=utf-8', true],
    [' application/json ', true],
    ['application/problem+json', false],
    ['application/json; charset=iso-8859-1', false],
    ['application/json; charset="UTF-8"', true],
    ['', false],
    [undefined, false],
  ])('%s -> %s', (type, expected) => expect(isJsonMediaType(type)).toBe(expected));
});

describe('CORS', () => {
  it('exposes Retry-After and WWW-Authenticate to browser scripts on every handler response', () => {
    for (const response of [jsonResponse(200, {}), errorResponse(new TooManyAttemptsError(30)), errorResponse(new Error('bug')), noContent()]) {
      expect(response.headers?.['Access-Control-Expose-Headers']).toBe('Retry-After,WWW-Authenticate');
    }
  });
});

describe('errorResponse', () => {
  it('puts a Bearer challenge on every 401 (RFC 6750): invalid_token, expiry said and nothing more, no error code without a token', () => {
    const challenge = (error: unknown) => errorResponse(error).headers?.['WWW-Authenticate'];

    expect(challenge(new InvalidTokenError('expired_after_authorizer_cache'))).toBe('Bearer error="invalid_token", error_description="The access token expired"');
    expect(challenge(new InvalidTokenError('expired'))).toBe('Bearer error="invalid_token", error_description="The access token expired"');
    expect(challenge(new InvalidTokenError('bad_signature'))).toBe('Bearer error="invalid_token"');
    expect(challenge(new InvalidTokenError('refresh_token_reused'))).toBe('Bearer error="invalid_token"');
    expect(challenge(new UnauthorizedError('no authorizer context'))).toBe('Bearer');
    expect(challenge(new InvalidCredentialsError('wrong_password'))).toBe('Bearer');
    expect(challenge(new NotFoundError())).toBeUndefined();
  });

  it('maps our errors to their status and contract body', () => {
    const response = errorResponse(new ValidationError([{ field: 'email', message: 'is required' }]));
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ error: 'validation_error', message: 'email: is required', details: [{ field: 'email', message: 'is required' }] });
    expect(response.headers?.['Access-Control-Allow-Origin']).toBe('*');
  });

  it('adds Retry-After to 429', () => {
    const response = errorResponse(new TooManyAttemptsError(42));
    expect(response.statusCode).toBe(429);
    expect(response.headers?.['Retry-After']).toBe('42');
  });

  it('turns a DynamoDB failure into 503 service_unavailable with Retry-After', () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400 } });
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const server = Object.assign(new Error('boom'), { name: 'InternalServerError', $fault: 'server' });
    for (const error of [throttled, refused, server]) {
      const response = errorResponse(error);
      expect(response.statusCode).toBe(503);
      expect(JSON.parse(response.body).error).toBe('service_unavailable');
      expect(response.headers?.['Retry-After']).toBe('1');
    }
  });

  it('turns our own bugs into 500 internal_error without details', () => {
    const response = errorResponse(new TypeError('x is undefined'));
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: 'internal_error', message: expect.any(String) });
    expect(response.body).not.toContain('x is undefined');
    expect(errorResponse('a string').statusCode).toBe(500);
  });
});

describe('callerOf', () => {
  const exp = String(Math.floor(Date.now() / 1000) + 60);

  it('reads principalId and role from the authorizer context', () => {
    const event = proxyEvent({ requestContext: { authorizer: { principalId: 'u1', role: 'admin', exp } } as never });
    expect(callerOf(event)).toEqual({ sub: 'u1', role: 'admin', amr: [] });
  });

  it('refuses a token that expired while its authorizer decision stayed cached (401 invalid_token)', () => {
    const event = proxyEvent({ requestContext: { authorizer: { principalId: 'u1', role: 'user', exp: '1000' } } as never });
    expect(() => callerOf(event, 1006 * 1000)).toThrow(expect.objectContaining({ code: 'invalid_token' }));
    // Within the clock tolerance (5 s by default) it still passes.
    expect(callerOf(event, 1004 * 1000)).toEqual({ sub: 'u1', role: 'user', amr: [] });
  });

  it.each([
    [{ exp }],
    [{ principalId: 'u1', exp }],
    [{ principalId: 'u1', role: 'root', exp }],
    [{ principalId: '', role: 'user', exp }],
    [{ principalId: 'u1', role: 'user' }],
    [{ principalId: 'u1', role: 'user', exp: 'soon' }],
    // Found by test/fuzz: Number() of an object without a usable toString throws.
    [{ principalId: 'u1', role: 'user', exp: { toString: null } }],
    [{ principalId: 'u1', role: 'user', exp: [String(Math.floor(Date.now() / 1000) + 60)] }],
  ])(
    'refuses a missing or bad context %j with 401',
    (authorizer) => {
      expect(() => callerOf(proxyEvent({ requestContext: { authorizer } as never }))).toThrow(expect.objectContaining({ code: 'unauthorized' }));
    },
  );
});

describe('adminOf', () => {
  const exp = String(Math.floor(Date.now() / 1000) + 60);

  it('passes an admin and refuses a user with 403, whatever the policy let through', () => {
    const as = (role: string) => proxyEvent({ requestContext: { authorizer: { principalId: 'u1', role, exp } } as never });
    expect(adminOf(as('admin'))).toEqual({ sub: 'u1', role: 'admin', amr: [] });
    expect(() => adminOf(as('user'))).toThrow(expect.objectContaining({ code: 'forbidden', status: 403 }));
  });

  it('with MFA_REQUIRED_ROLES=admin, refuses an admin signed in without otp (403, as the policy does) and passes one with pwd+otp', () => {
    const as = (amr: string[]) => proxyEvent({ requestContext: { authorizer: { principalId: 'u1', role: 'admin', exp, amr: JSON.stringify(amr) } } as never });
    process.env.MFA_REQUIRED_ROLES = 'admin';
    try {
      expect(() => adminOf(as(['pwd']))).toThrow(expect.objectContaining({ code: 'forbidden', status: 403, reason: 'second_factor_required' }));
      expect(adminOf(as(['pwd', 'otp']))).toEqual({ sub: 'u1', role: 'admin', amr: ['pwd', 'otp'] });
    } finally {
      delete process.env.MFA_REQUIRED_ROLES;
    }
  });

  it('refuses an expired admin token (401) and a missing context (401)', () => {
    const expired = proxyEvent({ requestContext: { authorizer: { principalId: 'u1', role: 'admin', exp: '1000' } } as never });
    expect(() => adminOf(expired, 2000 * 1000)).toThrow(expect.objectContaining({ code: 'invalid_token' }));
    expect(() => adminOf(proxyEvent())).toThrow(expect.objectContaining({ code: 'unauthorized' }));
  });
});

describe('httpHandler deadline', () => {
  const contextWith = (remainingMs: number) => ({ getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;

  it('answers 503 with Retry-After before the Lambda timeout when the work hangs', async () => {
    const hung = httpHandler(() => new Promise(() => undefined));
    const started = Date.now();
    const response = await hung(proxyEvent(), contextWith(DEADLINE_MARGIN_MS + 200));
    expect(Date.now() - started).toBeLessThan(DEADLINE_MARGIN_MS + 200);
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body)).toEqual({ error: 'service_unavailable', message: expect.any(String) });
    expect(response.headers?.['Retry-After']).toBe('1');
  });

  it('lets work that finishes in time through, and swallows a failure that comes after the deadline', async () => {
    const quick = httpHandler(async () => jsonResponse(200, { ok: true }));
    expect((await quick(proxyEvent(), contextWith(5000))).statusCode).toBe(200);
    const late = httpHandler(() => new Promise((_, reject) => setTimeout(() => reject(new Error('late')), 50)));
    expect((await late(proxyEvent(), contextWith(0))).statusCode).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, 80));
  });

  it('has no deadline without a Lambda context', async () => {
    const slow = httpHandler(() => new Promise((resolve) => setTimeout(() => resolve(jsonResponse(200, {})), 30)));
    expect((await slow(proxyEvent())).statusCode).toBe(200);
  });
});

describe('httpHandler', () => {
  it('maps a thrown error and passes a result through', async () => {
    const failing = httpHandler(async () => {
      throw new NotFoundError();
    });
    expect((await failing(proxyEvent())).statusCode).toBe(404);
    const ok = httpHandler(async () => jsonResponse(200, { ok: true }));
    expect(JSON.parse((await ok(proxyEvent())).body)).toEqual({ ok: true });
  });
});
