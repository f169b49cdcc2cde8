/**
 * The app the local stack serves: the CDK app cdk.json names, built in this
 * process without bundling and without synth, and every `Wristband`
 * construct found in its tree. Its routes (wristband's own and the app's,
 * with their handler files), its roles and its configuration are the ones
 * `cdk deploy` would use, so a value set once in cdk.json reaches
 * `npm start` (an environment variable still overrides it).
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IConstruct } from 'constructs';
import { settingsEnvironment } from '../lib/constructs/wristband-function';
import { Wristband } from '../lib/wristband';
import { encodeRouteTable, ROUTES_ENV } from '../lambdas/contract/route-table';
import type { Route } from '../lambdas/contract/routes';
import { requireCdkJson, type CdkJson } from './cdk-json';

/** A route the local gateway serves, with the file its handler is in (none: an app function wristband did not build). */
export interface LocalRoute extends Route {
  readonly entry?: string;
}

export interface LocalApp {
  readonly routes: readonly LocalRoute[];
  /** What the deployed functions' environment would hold: settings, token identity, roles, the route table. */
  readonly environment: Readonly<Record<string, string>>;
  readonly stackName?: string;
}

/** Variables of the deployed environment the local process must not take (they are about Lambda, not wristband). */
const NOT_LOCAL = new Set(['NODE_OPTIONS']);

/** A Wristband's routes and environment, as the local stack serves them. */
export function localAppOf(wristband: Wristband): LocalApp {
  const routes: LocalRoute[] = wristband.routes.map((route) => {
    const fn = route.function as { wristbandName?: string; functionName?: string };
    const name = fn.wristbandName ?? `${route.method.toLowerCase()}${route.path.replace(/[^A-Za-z0-9]+/g, '-')}`;
    // `entry` undefined: a function the app built itself, which the local stack cannot run.
    return { method: route.method, path: route.path, handler: name, access: route.access, entry: route.entry };
  });
  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries(settingsEnvironment(wristband.config))) if (!NOT_LOCAL.has(key)) environment[key] = value;
  environment[ROUTES_ENV] = encodeRouteTable(wristband.routes);
  return { routes, environment };
}

/** Every Wristband under a construct. */
export function findWristbands(root: IConstruct): Wristband[] {
  return root.node.findAll().filter((c): c is Wristband => Wristband.isWristband(c));
}

/**
 * Builds the CDK app of `cdk.json` (in the folder `from`, or one already
 * read: local/cdk-json.ts) in this process: its `app` command's script
 * (`npx tsx bin/app.ts`, `node bin/app.js`) is imported with bundling off
 * and no output directory (so nothing is synthesized), and the Wristbands
 * it created are returned.
 */
export async function loadCdkApp(from: string | CdkJson): Promise<Wristband[]> {
  const cdkJson = typeof from === 'string' ? requireCdkJson(from) : from;
  const dir = cdkJson.dir;
  const script = (cdkJson.app ?? '').split(/\s+/).find((word) => /\.(c|m)?(t|j)sx?$/.test(word));
  if (!script) throw new Error(`cdk.json's app command names no .ts or .js file: ${JSON.stringify(cdkJson.app)}`);
  const previous = { context: process.env.CDK_CONTEXT_JSON, outdir: process.env.CDK_OUTDIR };
  process.env.CDK_CONTEXT_JSON = JSON.stringify({ ...cdkJson.context, 'aws:cdk:bundling-stacks': [] });
  delete process.env.CDK_OUTDIR;
  const created: Wristband[] = [];
  const stopCollecting = Wristband.onCreate((w) => created.push(w));
  try {
    await import(pathToFileURL(isAbsolute(script) ? script : resolve(dir, script)).href);
  } finally {
    stopCollecting();
    if (previous.context === undefined) delete process.env.CDK_CONTEXT_JSON;
    else process.env.CDK_CONTEXT_JSON = previous.context;
    if (previous.outdir !== undefined) process.env.CDK_OUTDIR = previous.outdir;
  }
  return created;
}

/**
 * The app `npm start` serves: the first Wristband the cdk.json app builds
 * (one local gateway serves one API; `onNotice` hears about the others).
 */
export async function localAppFromCdkJson(from: string | CdkJson, onNotice: (line: string) => void = () => undefined): Promise<LocalApp> {
  const wristbands = await loadCdkApp(from);
  const first = wristbands[0];
  if (!first) throw new Error("cdk.json's app builds no Wristband construct: nothing to serve");
  if (wristbands.length > 1) onNotice(`the app builds ${wristbands.length} Wristbands; serving ${first.node.path} only`);
  return { ...localAppOf(first), stackName: first.node.scopes[1]?.node.id ?? first.node.path };
}
