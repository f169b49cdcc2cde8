/**
 * The local stack serving a team's app: a Wristband with its own roles and a
 * route added with addRoute, served from the construct's route table and
 * environment (local/app.ts), the handler file run as it is, behind the
 * same authorizer. 200 for an allowed role, 403 for another, 401 without a token.
 */
import { App, Stack } from 'aws-cdk-lib';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wristband } from '../../lib/wristband';
import { localAppOf } from '../../local/app';
import type { LocalStack } from '../../local/stack';
import { createAdmin } from '../../scripts/create-admin';
import { client, type Api } from '../support/http-client';
import { login, strongPassword, uniqueEmail } from '../support/local-stack';
import { CDK_JSON_CONTEXT } from '../lib/synth';

const ENTRY = join(__dirname, '..', 'support', 'app', 'articles.ts');

let stack: LocalStack;
let api: Api;
const reader = { email: uniqueEmail('reader'), password: strongPassword() };
const editor = { email: uniqueEmail('editor'), password: strongPassword() };
let readerToken: string;
let editorToken: string;

beforeAll(async () => {
  process.env.BCRYPT_COST = '4';
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const auth = new Wristband(new Stack(app, 'TeamApp'), 'Auth', {
    roles: ['reader', 'editor'],
    registrationRole: 'reader',
    createAdminRole: 'editor',
    userManagerRoles: ['editor'],
  });
  auth.addRoute({ method: 'GET', path: '/api/articles', allow: 'authenticated', entry: ENTRY });
  auth.addRoute({ method: 'DELETE', path: '/api/articles/{id}', allow: ['editor'], entry: ENTRY });
  const { startLocalStack } = await import('../../local/stack');
  stack = await startLocalStack({ dataDir: mkdtempSync(join(tmpdir(), 'wristband-app-')), port: 0, app: localAppOf(auth), onNotice: () => undefined });
  api = client(stack.url);
  expect((await api('POST', '/register', { body: reader })).status).toBe(201);
  await createAdmin({ tableName: 'wristband-local', region: 'local', endpoint: stack.dynamoEndpoint, bcryptCost: 4, passwordMinLength: 15 }, editor);
  readerToken = (await login(api, reader.email, reader.password)).accessToken;
  editorToken = (await login(api, editor.email, editor.password)).accessToken;
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

it('registration gives the configured registration role, create-admin the configured one', async () => {
  const [r, e] = await Promise.all([readerToken, editorToken].map((token) => api('GET', '/api/articles', { token })));
  expect([r!.status, r!.json.caller.role, e!.status, e!.json.caller.role]).toEqual([200, 'reader', 200, 'editor']);
});

it("answers the app's route with its own handler for an allowed role (200)", async () => {
  const response = await api('DELETE', '/api/articles/42', { token: editorToken });
  expect([response.status, response.json.route]).toEqual([200, 'DELETE /api/articles/{id}']);
});

it('refuses a role the route does not name (403, the contract body)', async () => {
  const response = await api('DELETE', '/api/articles/42', { token: readerToken });
  expect([response.status, response.json.error]).toEqual([403, 'forbidden']);
});

it('refuses a request without a token (401)', async () => {
  const response = await api('DELETE', '/api/articles/42');
  expect(response.status).toBe(401);
});

it("gives wristband's user-management routes to the configured user-manager roles", async () => {
  const [r, e] = await Promise.all([readerToken, editorToken].map((token) => api('GET', '/api/users', { token })));
  expect([r!.status, e!.status]).toEqual([403, 200]);
});
