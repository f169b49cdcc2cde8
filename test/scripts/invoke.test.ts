/**
 * `npm run invoke` against a real synthesized template and a running local
 * stack: every sample event under events/ gives the answer the contract
 * says; the command line itself (login prints a token pair, the authorizer
 * with --token from that login prints an Allow policy); and what
 * `sam local invoke` needs from the template, for every function.
 */
import type { APIGatewayAuthorizerResult, APIGatewayProxyResult } from 'aws-lambda';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { allowedResources, apiStageArn } from '../../lambdas/authorizer/policy';
import type { RotationEvent } from '../../lambdas/keys/rotation';
import { SETTINGS, WIRING_ENV } from '../../lambdas/contract/settings';
import { FUNCTION_SPECS } from '../../lib/function-specs';
import { EVENTS_DIR } from '../../scripts/events/main';
import { fillPlaceholders } from '../../scripts/events/placeholders';
import { NEW_USER, sampleEvents, SAMPLE_SIGNING_KEY_SECRET_ARN } from '../../scripts/events/samples';
import { functionEnvironment } from '../../scripts/invoke/environment';
import { invoke, type InvokeReport } from '../../scripts/invoke/invoke';
import { FUNCTION_NAMES, findFunction, handlerFile, lambdaFunctions, PROJECT_ROOT, readTemplate } from '../../scripts/invoke/template';
import { FakeSecrets } from '../lambdas/keys/fake-secrets';
import { ADMIN, ALICE, login, startTestStack, type RunningStack } from '../support/local-stack';
import { synthesizedTemplate, type SynthesizedTemplate } from './synthesized';
import { FORGOT_PASSWORD_ANSWER, RESEND_VERIFICATION_ANSWER } from '../../lambdas/domain/recovery';
import { loadOpenApi } from '../support/openapi-check';

jest.setTimeout(240_000);
const run = promisify(execFile);

let synthesized: SynthesizedTemplate;
let running: RunningStack;
const ids = { alice: '', admin: '' };

beforeAll(async () => {
  synthesized = synthesizedTemplate();
  running = await startTestStack();
  for (const [who, account] of [['alice', ALICE], ['admin', ADMIN]] as const) {
    const { accessToken } = await login(running.api, account.email, account.password);
    ids[who] = (await running.api('GET', '/api/profile', { token: accessToken })).json.user.id;
  }
});

afterAll(async () => {
  await running?.stack.stop();
  synthesized?.cleanup();
});

/** One invocation through the module API, logs kept for the failure message. */
async function invokeWith(name: string, event: unknown, options: { shell?: Record<string, string>; dataDir?: string | null; envVars?: Record<string, Record<string, string>> } = {}) {
  const logs: string[] = [];
  const report = await invoke({
    function: name,
    templatePath: synthesized.templatePath,
    event,
    ...(options.dataDir === null ? {} : { dataDir: options.dataDir ?? running.dataDir }),
    shell: options.shell ?? {},
    ...(options.envVars ? { envVars: options.envVars } : {}),
    onLog: (chunk) => logs.push(chunk.toString('utf8')),
    onNote: (line) => logs.push(`invoke: ${line}\n`),
  });
  return { report, logs: logs.join('') };
}

function sampleFile(file: string): unknown {
  return JSON.parse(readFileSync(join(EVENTS_DIR, file), 'utf8'));
}

/** A proxy result's status and parsed body, with the log attached when it is not what the test wants. */
function http(report: InvokeReport, logs: string): { status: number; body: any; headers: Record<string, unknown> } {
  if (report.outcome.kind !== 'result') throw new Error(`expected a result, got ${report.outcome.text}\n${logs}`);
  const result = report.outcome.payload as APIGatewayProxyResult;
  return { status: result.statusCode, body: result.body ? JSON.parse(result.body) : '', headers: result.headers ?? {} };
}

const tokenPair = {
  accessToken: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
  refreshToken: expect.any(String),
  tokenType: 'Bearer',
  expiresIn: SETTINGS.accessTokenTtlSeconds.default,
};
const user = (email: string, role: string) => ({ id: expect.any(String), email, role, createdAt: expect.any(String) });

type Check = (report: InvokeReport, logs: string) => Promise<void> | void;

/** What the contract says each sample gets, in the order events/ runs them (register before delete-user). */
const EXPECTED: Record<string, Check> = {
  'root.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 200, body: { name: 'wristband', status: 'ok' } }),
  'register.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 201, body: { user: { ...user(NEW_USER.email, 'user'), name: NEW_USER.name } } }),
  'login.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 200, body: tokenPair }),
  'refresh.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 200, body: tokenPair }),
  'logout.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 204, body: '' }),
  'jwks.json': async (r, l) => {
    const served = await running.api('GET', '/.well-known/jwks.json');
    expect(http(r, l)).toMatchObject({ status: 200, body: served.json });
    expect(served.json.keys.length).toBeGreaterThan(0);
  },
  'openid-configuration.json': (r, l) =>
    expect(http(r, l)).toMatchObject({ status: 200, body: { issuer: 'wristband', jwks_uri: expect.stringMatching(/\/\.well-known\/jwks\.json$/), id_token_signing_alg_values_supported: ['ES256'] } }),
  'openapi.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 200, body: loadOpenApi() }),
  'profile.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 200, body: { user: { ...user(ALICE.email, 'user'), id: ids.alice } } }),
  'create-order.json': (r, l) =>
    expect(http(r, l)).toMatchObject({ status: 201, body: { order: { id: expect.any(String), userId: ids.alice, items: [{ sku: 'tee-black-m', quantity: 2 }] } } }),
  'list-orders.json': (r, l) => {
    const { status, body } = http(r, l);
    expect(status).toBe(200);
    expect(body.orders[0]).toMatchObject({ userId: ids.alice, items: [{ sku: 'tee-black-m', quantity: 2 }] });
  },
  'change-password.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 200, body: tokenPair }),
  'list-sessions.json': (r, l) => {
    const { status, body } = http(r, l);
    expect(status).toBe(200);
    expect(body.sessions[0]).toMatchObject({ id: expect.any(String), createdAt: expect.any(String), lastUsedAt: expect.any(String) });
  },
  // The sample challenge names none; enrolment stores a pending secret, whose code the sample cannot know (401); nothing to turn off (404).
  'login-mfa.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 401, body: { error: 'invalid_token' } }),
  'mfa-totp-enrol.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 200, body: { secret: expect.any(String), otpauthUri: expect.stringMatching(/^otpauth:\/\/totp\//) } }),
  'mfa-totp-confirm.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 401, body: { error: 'invalid_credentials' } }),
  'mfa-totp-disable.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 404, body: { error: 'not_found' } }),
  'revoke-session.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 404, body: { error: 'not_found' } }),
  'revoke-all-sessions.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 204 }),
  'revoke-user-sessions.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 204 }),
  // Whatever the email, the same 202 (npm run invoke's functions have no mailer: nothing is sent).
  'forgot-password.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 202, body: FORGOT_PASSWORD_ANSWER }),
  'resend-verification.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 202, body: RESEND_VERIFICATION_ANSWER }),
  // The samples' tokens came from no mail: the answer a used or expired link gets.
  'reset-password.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 401, body: { error: 'invalid_token' } }),
  'verify-email.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 401, body: { error: 'invalid_token' } }),
  // After delete-user.json: the sample account is gone already.
  'delete-profile.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 404, body: { error: 'not_found' } }),
  'admin.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 200, body: { message: 'Admin dashboard' } }),
  'list-users.json': (r, l) => {
    const { status, body } = http(r, l);
    expect(status).toBe(200);
    expect(body.users.map((u: { email: string }) => u.email)).toEqual(expect.arrayContaining([ALICE.email, ADMIN.email, NEW_USER.email]));
  },
  'set-user-role.json': (r, l) => expect(http(r, l)).toMatchObject({ status: 200, body: { user: { ...user(ALICE.email, 'user'), id: ids.alice } } }),
  'delete-user.json': async (r, l) => {
    expect(http(r, l)).toMatchObject({ status: 204 });
    // Gone now: the same event again is an unknown id.
    const again = await invokeWith('delete-user', sampleFile('delete-user.json'));
    expect(http(again.report, again.logs)).toMatchObject({ status: 404, body: { error: 'not_found' } });
  },
  'authorizer.json': (r) => expectAllow(r, ids.alice, 'user'),
  'authorizer-admin.json': (r) => expectAllow(r, ids.admin, 'admin'),
  'rotate-keys.json': () => {
    // Checked below, against an in-memory Secrets Manager and SSM: rotation is AWS-only.
  },
};

function expectAllow(report: InvokeReport, sub: string, role: 'user' | 'admin') {
  expect(report.outcome.kind).toBe('result');
  const policy = report.outcome.payload as APIGatewayAuthorizerResult;
  const methodArn = (report.event as { methodArn: string }).methodArn;
  // The deployed table lists wristband's routes, then the demo's (added with addRoute): the same set, in another order.
  const resources = (policy.policyDocument.Statement[0] as { Resource: string[] }).Resource;
  expect([...resources].sort()).toEqual([...allowedResources(role, apiStageArn(methodArn))].sort());
  expect(policy).toEqual({
    principalId: sub,
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: resources }] },
    context: { sub, role, jti: expect.any(String), exp: expect.stringMatching(/^\d+$/), amr: '["pwd"]' },
  });
}

describe('every sample event, through npm run invoke, against a running local stack', () => {
  it('has an expected answer for each file in events/', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual(sampleEvents().map((s) => s.file).sort());
  });

  const httpAndAuthorizer = sampleEvents().filter((s) => s.function !== 'rotate-keys');
  it.each(httpAndAuthorizer.map((s) => [s.file, s.function] as const))('%s (%s)', async (file, name) => {
    const { report, logs } = await invokeWith(name, sampleFile(file));

    expect(report.localStack?.dynamoEndpoint).toBe(running.stack.dynamoEndpoint);
    await EXPECTED[file]!(report, logs);
  });

  it('rotate-keys.json runs all four rotation steps against Secrets Manager and SSM (here an in-memory model reached with AWS_ENDPOINT_URL)', async () => {
    const template = readTemplate(synthesized.templatePath);
    const fn = findFunction(lambdaFunctions(template, synthesized.templatePath), 'rotate-keys');
    const parameterName = functionEnvironment({ fn, template, shell: {} }).env[WIRING_ENV.publicKeysParameter]!;
    const secrets = new FakeSecrets(SAMPLE_SIGNING_KEY_SECRET_ARN, parameterName);
    const endpoint = await secrets.listen();
    try {
      const sample = sampleFile('rotate-keys.json') as RotationEvent;
      secrets.startRotation(sample.ClientRequestToken);
      const shell = { AWS_ENDPOINT_URL: endpoint.endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };

      for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
        const { report, logs } = await invokeWith('rotate-keys', { ...sample, Step: step }, { shell });
        expect([step, report.outcome.text, report.outcome.kind === 'result' ? '' : logs]).toEqual([step, 'null', '']);
      }

      expect(secrets.versionWith('AWSCURRENT')).toBe(sample.ClientRequestToken);
      const kid = JSON.parse(secrets.getSecretValue({ stage: 'AWSCURRENT' }).value).kid;
      expect(secrets.publicKeys().keys.map((k) => k.jwk.kid)).toEqual([kid]);
    } finally {
      await endpoint.close();
    }
  });
});

describe('npm run invoke on the command line', () => {
  const env = (dataDir: string) => ({ PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATA_DIR: dataDir });
  const cli = (args: string[], input?: string, dataDir: string = running.dataDir) => {
    const child = run('npm', ['run', ...args, '-t', synthesized.templatePath], { cwd: PROJECT_ROOT, env: env(dataDir), timeout: 60_000, maxBuffer: 10 * 1024 * 1024 });
    // Closed either way: a CLI given no event file reads piped stdin.
    child.child.stdin?.end(input ?? '');
    return child;
  };
  let accessToken = '';

  it('login with events/login.json prints a token pair (the result on the last line, after npm\'s banner)', async () => {
    const { stdout, stderr } = await cli(['invoke', '--', 'login', 'events/login.json']);

    const result = JSON.parse(stdout.trim().split('\n').pop()!) as APIGatewayProxyResult;
    expect(result.statusCode).toBe(200);
    const pair = JSON.parse(result.body);
    expect(pair).toMatchObject(tokenPair);
    expect(stderr).toMatch(/START RequestId: \S+ Version: \$LATEST/);
    expect(stderr).toContain('"message":"login succeeded"');
    // A first invocation is a cold start, as Lambda's AWS_LAMBDA_INITIALIZATION_TYPE=on-demand tells Powertools.
    expect(stderr).toMatch(/"cold_start":true/);
    expect(stderr).toMatch(new RegExp(`REPORT RequestId: .*Duration: \\d+ ms\tMemory Size: ${FUNCTION_SPECS.login.memoryMb} MB`));
    accessToken = pair.accessToken;
  });

  it('authorizer with --token from that login prints an Allow policy (npm run -s: stdout is the JSON alone)', async () => {
    expect(accessToken).not.toBe('');
    const { stdout } = await cli(['-s', 'invoke', '--', 'authorizer', '--token', accessToken]);

    const policy = JSON.parse(stdout) as APIGatewayAuthorizerResult;
    expect(policy.principalId).toBe(ids.alice);
    expect(policy.policyDocument.Statement).toEqual([expect.objectContaining({ Effect: 'Allow', Action: 'execute-api:Invoke' })]);
  });

  it('reads the event from stdin, and exits 1 when the function fails (an invalid token: Unauthorized)', async () => {
    const event = { type: 'TOKEN', authorizationToken: 'Bearer not-a-token', methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc/prod/GET/api/profile' };

    const failure = await cli(['-s', 'invoke', '--', 'authorizer', '-'], JSON.stringify(event)).catch((error: { code: number; stdout: string }) => error);

    expect(failure).toMatchObject({ code: 1 });
    expect(JSON.parse((failure as { stdout: string }).stdout)).toMatchObject({ errorType: 'Error', errorMessage: 'Unauthorized' });
  });

  it('refuses to call AWS itself when no local stack runs under DATA_DIR, and says what to do', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'wristband-invoke-no-stack-'));

    const failure = await cli(['-s', 'invoke', '--', 'login', 'events/login.json'], '', empty).catch((error: { code: number; stdout: string; stderr: string }) => error);

    expect(failure).toMatchObject({ code: 2, stdout: '' });
    const { stderr } = failure as { stderr: string };
    expect(stderr).toContain(`invoke: login would call AWS itself (DynamoDB, SSM, Secrets Manager in us-east-1) with your AWS credentials, as no local stack is running under DATA_DIR=${empty}.`);
    expect(stderr).toContain('npm start, in another terminal');
    expect(stderr).toContain('--aws');
    expect(stderr).not.toContain('START RequestId');
  });

  it('names an extra argument, and a directory given as the event, instead of printing the bare usage or EISDIR', async () => {
    const extra = await cli(['-s', 'invoke', '--', 'login', 'events/login.json', 'events/profile.json']).catch((error: { code: number; stderr: string }) => error);
    const directory = await cli(['-s', 'invoke', '--', 'login', 'events']).catch((error: { code: number; stderr: string }) => error);

    expect(extra).toMatchObject({ code: 2 });
    expect((extra as { stderr: string }).stderr).toMatch(/^invoke: unexpected argument "events\/profile.json": give one function and at most one event\n\nusage:/);
    expect(directory).toMatchObject({ code: 2 });
    expect((directory as { stderr: string }).stderr).toContain('invoke: events is a directory, not an event file');
    expect((directory as { stderr: string }).stderr).not.toContain('EISDIR');
  });

  it('says so when the authorizer is given a route\'s proxy event, which it can only refuse', async () => {
    const failure = await cli(['-s', 'invoke', '--', 'authorizer', 'events/profile.json']).catch((error: { code: number; stderr: string }) => error);

    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain('invoke: the event is not a TOKEN authorizer event');
    expect((failure as { stderr: string }).stderr).toContain('it is an API Gateway proxy event');
  });

  it('exits 2 with the list of functions for an unknown one', async () => {
    const failure = await cli(['-s', 'invoke', '--', 'no-such-function']).catch((error: { code: number; stderr: string }) => error);

    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toMatch(/no function "no-such-function".*\n(.*\n)*\s+login\s+Functions/);
  });
});

describe('env.json in SAM\'s format, without the local stack', () => {
  it('points a function at a DynamoDB endpoint and table through Parameters alone', async () => {
    const event = fillPlaceholders(sampleFile('profile.json'), (p) => (p.kind === 'user-id' ? ids.alice : undefined));
    const envVars = { Parameters: { TABLE_NAME: 'wristband-local', DYNAMODB_ENDPOINT: running.stack.dynamoEndpoint } };

    const { report, logs } = await invokeWith('profile', event, { dataDir: null, envVars });

    expect(report.localStack).toBeUndefined();
    expect(http(report, logs)).toMatchObject({ status: 200, body: { user: { id: ids.alice, email: ALICE.email } } });
  });
});

describe('what sam local invoke needs from the synthesized template', () => {
  const functions = () => lambdaFunctions(readTemplate(synthesized.templatePath), synthesized.templatePath);

  it('has every function of the route table and FUNCTION_SPECS, once', () => {
    expect(functions().map((f) => f.name).sort()).toEqual([...FUNCTION_NAMES].sort());
  });

  it('gives every function aws:asset:path and aws:asset:property metadata, and a handler whose file is in the asset folder', () => {
    const template = readTemplate(synthesized.templatePath);
    for (const fn of functions()) {
      const metadata = template.Resources[fn.logicalId]!.Metadata ?? {};

      expect([fn.logicalId, typeof metadata['aws:asset:path'], metadata['aws:asset:property']]).toEqual([fn.logicalId, 'string', 'Code']);
      expect([fn.logicalId, existsSync(fn.assetDir!)]).toEqual([fn.logicalId, true]);
      expect([fn.logicalId, handlerFile(fn.assetDir!, fn.handler)]).toEqual([fn.logicalId, expect.stringMatching(/index\.(m?js|cjs)$/)]);
      expect([fn.logicalId, fn.runtime]).toEqual([fn.logicalId, expect.stringMatching(/^nodejs\d+\.x$/)]);
    }
  });

  it('declares DYNAMODB_ENDPOINT wherever it declares TABLE_NAME, so that env.json can set it (SAM sets declared variables only)', () => {
    for (const fn of functions()) {
      if (WIRING_ENV.tableName in fn.variables) expect([fn.logicalId, fn.variables[WIRING_ENV.dynamoEndpoint]]).toEqual([fn.logicalId, '']);
    }
  });

  // The SAM commands and env.json live in docs/local-invocation.md (the README points there).
  const readmeSection = () => readFileSync(join(PROJECT_ROOT, 'docs', 'local-invocation.md'), 'utf8');

  it("docs/local-invocation.md's sam commands name logical ids the template has", () => {
    const ids = new Set(functions().map((f) => f.logicalId));
    const named = [...readmeSection().matchAll(/\bFunctions[A-Za-z]+[0-9A-F]{8}\b/g)].map((m) => m[0]);

    expect(named.length).toBeGreaterThan(0);
    for (const id of named) expect([id, ids.has(id)]).toEqual([id, true]);
  });

  it("docs/local-invocation.md's env.json sets only variables the template declares", () => {
    const block = /```json\n([\s\S]*?)```/.exec(readmeSection())?.[1];
    expect(block).toBeDefined();
    const envJson = JSON.parse(block!) as Record<string, Record<string, string>>;
    const all = functions();
    for (const [scope, vars] of Object.entries(envJson)) {
      const targets = scope === 'Parameters' ? all : all.filter((f) => f.logicalId === scope);
      expect([scope, targets.length > 0]).toEqual([scope, true]);
      for (const name of Object.keys(vars)) expect([scope, name, targets.some((f) => name in f.variables)]).toEqual([scope, name, true]);
    }
  });
});
