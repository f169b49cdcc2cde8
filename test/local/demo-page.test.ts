/**
 * The demo page on the local stack (local/static.ts): served at /demo/ beside the API with its client
 * bundled from source, a fixed list of files and nothing else, and the API's routes untouched.
 */
import { startTestStack, type RunningStack } from '../support/local-stack';

let running: RunningStack;

beforeAll(async () => {
  running = await startTestStack();
});

afterAll(async () => {
  await running.stack.stop();
});

const get = (path: string) => fetch(`${running.stack.url}${path}`, { redirect: 'manual' });

it('serves the page at /demo/ (and sends /demo there) with a self-only content security policy', async () => {
  const redirect = await get('/demo');
  expect([redirect.status, redirect.headers.get('location')]).toEqual([308, '/demo/']);

  const page = await get('/demo/');
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect(await page.text()).toContain('<script type="module" src="app.js"></script>');
});

it('serves the client bundled from its TypeScript source as one ES module', async () => {
  const response = await get('/demo/wristband-client.js');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  const code = await response.text();
  expect(code).toMatch(/export\s*\{[^}]*createClient/);
  expect(code).not.toMatch(/\bimport\b/); // self-contained: no runtime dependencies
});

it('serves the pinned QR encoder the enrolment screen draws with, as an ES module at a fixed path', async () => {
  const response = await get('/demo/qrcode.js');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect(await response.text()).toMatch(/export default qrcode;/);
});

it('serves no file outside its list', async () => {
  for (const path of ['/demo/../package.json', '/demo/%2e%2e/package.json', '/demo/index.html.bak', '/demo/bundle.ts']) {
    const response = await get(path);
    expect([path, response.status]).toEqual([path, 404]);
  }
});

it('leaves the API alone: other methods on /demo/ and every API route still reach the gateway', async () => {
  const post = await fetch(`${running.stack.url}/demo/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  expect([post.status, ((await post.json()) as { error: string }).error]).toEqual([404, 'not_found']);
  const root = await get('/');
  expect(await root.json()).toEqual({ name: 'wristband', status: 'ok' });
});
