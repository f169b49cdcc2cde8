/**
 * `npm run smoke -- <ApiUrl>` against the local stack (same contract as a
 * deployed stage): the command runs green, its parts record what the stage
 * answered to the questions the documentation leaves open, its count of
 * authorizer invocations matches what the local gateway counted, and a
 * stage that breaks the contract makes it exit non-zero.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sender } from '../../scripts/smoke/http';
import { apiOf, formatReport } from '../../scripts/smoke/report';
import { runSmoke, SELF_DELETE, type SmokeReport } from '../../scripts/smoke/smoke';
import { startTestStack, type RunningStack } from '../support/local-stack';

jest.setTimeout(120_000);
const run = promisify(execFile);
const MAIN = join(__dirname, '..', '..', 'scripts', 'smoke', 'main.ts');
const smoke = (url: string) => run(process.execPath, ['--import', 'tsx', MAIN, url], { timeout: 90_000 });

let running: RunningStack;
let broken: Server;
let brokenUrl: string;

beforeAll(async () => {
  running = await startTestStack();
  // A stage that answers everything with a 503: every contract path fails.
  broken = createServer((_req, res) => res.writeHead(503, { 'Content-Type': 'application/json' }).end('{"message":"down"}'));
  await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
  brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}/prod/`;
});

afterAll(async () => {
  await running?.stack.stop();
  await new Promise((resolve) => broken?.close(resolve));
});

it('runs green against the local stack and prints a short report', async () => {
  const { stdout } = await smoke(running.stack.url);
  expect(stdout).toContain('Result: every contract path passed.');
  expect(stdout).not.toContain('FAIL');
  expect(stdout.split('\n').length).toBeLessThan(40);
});

describe('its parts, against the local stack', () => {
  let report: SmokeReport;
  let invocations: number;

  beforeAll(async () => {
    const before = running.stack.gateway.stats.authorizerInvocations;
    report = await runSmoke(sender(running.stack.url), { repeats: 4 });
    invocations = running.stack.gateway.stats.authorizerInvocations - before;
  });

  it('walks every main contract path and passes', () => {
    expect(report.checks.map((c) => [c.name.replace(/smoke\+\w+@/, 'smoke+…@'), c.ok])).toEqual([
      ['GET / answers 200 ok', true],
      ['GET /.well-known/jwks.json lists EC P-256 keys', true],
      ['an unknown route answers 404 not_found with CORS', true],
      ['POST /register creates smoke+…@example.invalid', true],
      ['POST /login answers a token pair', true],
      ['GET /api/profile answers the caller', true],
      ['GET /api/admin answers 403 forbidden to a user', true],
      ['GET /api/profile answers 401 without a token, with CORS', true],
      ['POST /refresh rotates the pair', true],
      ['the refreshed access token is accepted', true],
      ['POST /logout answers 204', true],
      ['a logged-out refresh token answers 401', true],
      ...(SELF_DELETE ? [['DELETE /api/profile removes the throw-away user', true]] : []),
    ]);
    expect(report.ok).toBe(true);
  });

  it('records the open questions with what this stage answered', () => {
    const answers = Object.fromEntries(report.observations.map((o) => [o.question.split(' (')[0], o.answer]));
    expect(answers).toEqual(
      expect.objectContaining({
        'GET /api/profile/': '200 a body, with CORS',
        'an unknown route with a trailing slash': '404 not_found, with CORS',
        'an unknown route with a Bearer header': '404 not_found, with CORS',
        'a request with an 11264-byte header': expect.stringMatching(/^4\d\d .*without CORS$/),
        'a well-formed but invalid token, 3 times': expect.stringMatching(/^401, 401, 401 /),
      }),
    );
  });

  it('predicts the authorizer invocations the gateway counted (the local gateway caches Allow decisions, not 401s)', () => {
    expect(report.authorizerCount.ifAllowCachedOnly).toBe(invocations);
    expect(report.authorizerCount.ifBothCached).toBeLessThan(invocations);
  });

  it('says what it leaves behind: the recognisable throw-away user, until a self-delete route exists', async () => {
    if (SELF_DELETE) {
      expect(report.leftBehind).toEqual([]);
    } else {
      expect(report.leftBehind).toEqual([expect.stringMatching(/^the user smoke\+[0-9a-f]+@example\.invalid \(id [0-9a-f-]{36}\): no self-delete route yet/)]);
    }
  });

  it('prints the CloudWatch command for a deployed URL, with its API id and region', () => {
    expect(apiOf('https://abc123def4.execute-api.eu-west-1.amazonaws.com/prod/')).toEqual({ apiId: 'abc123def4', region: 'eu-west-1' });
    const text = formatReport(report, 'https://abc123def4.execute-api.eu-west-1.amazonaws.com/prod/');
    expect(text).toContain('aws apigateway get-authorizers --region eu-west-1 --rest-api-id abc123def4');
    expect(text).toContain('--metric-name Invocations');
    // Nothing secret in the report: no token, no password.
    expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    expect(text).not.toMatch(/smoke-[\w-]{32}/);
  });
});

it('exits non-zero when a contract path fails, and says which', async () => {
  const failure = await smoke(brokenUrl).then(
    () => ({ code: 0, stdout: '' }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
  expect(failure.code).toBe(1);
  expect(failure.stdout).toContain('FAIL GET / answers 200 ok: 503');
  expect(failure.stdout).toMatch(/Result: \d+ contract path\(s\) FAILED\./);
});
