/**
 * The demo page (demo/) and the client it runs on, served by the local stack at /demo/ beside the API,
 * so the page calls the API on its own origin. Local only: the deployed stack serves the API alone.
 *
 * A fixed list of files, no directory lookups, so no path from the URL reaches any other file. The client is bundled
 * from its TypeScript source on the first request (esbuild), so nobody runs a build by hand.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const DEMO_PATH = '/demo/';

const DEMO_DIR = join(__dirname, '..', 'demo');

const FILES: Record<string, { type: string; load: () => Promise<string> }> = {
  '': { type: 'text/html; charset=utf-8', load: () => readFile(join(DEMO_DIR, 'index.html'), 'utf8') },
  'app.js': { type: 'text/javascript; charset=utf-8', load: () => readFile(join(DEMO_DIR, 'app.js'), 'utf8') },
  'style.css': { type: 'text/css; charset=utf-8', load: () => readFile(join(DEMO_DIR, 'style.css'), 'utf8') },
  // The QR encoder the enrolment screen draws the otpauth URI with: one fixed file of the pinned package
  // (a devDependency: the demo is served from a clone, never from the packed tarball, which has no demo/).
  'qrcode.js': {
    type: 'text/javascript; charset=utf-8',
    load: () => readFile(join(dirname(require.resolve('qrcode-generator')), 'qrcode.mjs'), 'utf8'),
  },
  'wristband-client.js': {
    type: 'text/javascript; charset=utf-8',
    load: async () => (await import('../client/bundle')).bundleClient({ minify: false }),
  },
};

/**
 * The page may run scripts and call the API from its own origin only: an injected inline script or a
 * foreign script source is refused, which is what keeps a token in localStorage out of reach (README,
 * "The client").
 */
const HEADERS = {
  'Content-Security-Policy': "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/** The listener, with GET /demo/... answered here and everything else passed on to the gateway. */
export function withDemoPage(next: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
  const cache = new Map<string, Promise<string>>();
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !(path === '/demo' || path.startsWith(DEMO_PATH))) return next(req, res);
    if (path === '/demo') {
      res.writeHead(308, { Location: DEMO_PATH }).end();
      return;
    }
    const file = FILES[path.slice(DEMO_PATH.length)];
    if (!file) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...HEADERS }).end('Not found\n');
      return;
    }
    const name = path.slice(DEMO_PATH.length);
    // Source files are read on every request (edit and reload); the bundle is built once per start.
    const body = name === 'wristband-client.js' ? (cache.get(name) ?? cache.set(name, file.load()).get(name)!) : file.load();
    body.then(
      (text) => res.writeHead(200, { 'Content-Type': file.type, ...HEADERS }).end(req.method === 'HEAD' ? undefined : text),
      (error: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`demo: ${error instanceof Error ? error.message : String(error)}\n`),
    );
  };
}
