/**
 * The synthesized template, read the way `sam local invoke` reads it: each
 * AWS::Lambda::Function with its asset folder (`aws:asset:path` metadata),
 * handler, runtime, environment, timeout and memory. Also: whether
 * cdk.out is older than the code it was synthesized from, and the synth
 * that brings it up to date.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { decodeRouteTable, ROUTES_ENV, type TableRoute } from '../../lambdas/contract/route-table';
import { matchPath, ROUTES, SYSTEM_FUNCTIONS, type FunctionName } from '../../lambdas/contract/routes';

export const PROJECT_ROOT = join(__dirname, '..', '..');
export const STACK_NAME = 'Wristband';
export const DEFAULT_TEMPLATE = join(PROJECT_ROOT, 'cdk.out', `${STACK_NAME}.template.json`);

/** What a synth reads: when any of these is newer than the template, cdk.out is stale. */
export const SYNTH_INPUTS = ['bin', 'lib', 'lambdas', 'cdk.json', 'package-lock.json'] as const;

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

export interface CfnTemplate {
  readonly Resources: Record<string, CfnResource>;
}

export interface FunctionEntry {
  readonly logicalId: string;
  /** Its route-table / FUNCTION_SPECS name (`create-order`), when it is one of ours. */
  readonly name: FunctionName | undefined;
  /**
   * The name an app's route gave the function wristband built from its
   * `entry` (`addRoute({ name })`, default `get-api-articles`), from its
   * construct path; undefined for wristband's own functions and the app's own.
   */
  readonly appName?: string;
  /** The protected routes it serves: the route table the construct rendered into its environment (ROUTES_ENV); none for the authorizer. */
  readonly routes: readonly TableRoute[];
  /** Absolute path of the asset folder (`aws:asset:path`), or undefined when the metadata is missing. */
  readonly assetDir: string | undefined;
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Environment.Variables as written in the template: strings, or intrinsics such as `{"Ref": ...}`. */
  readonly variables: Readonly<Record<string, unknown>>;
}

/** Lambda's defaults when the template leaves them out. */
const DEFAULT_TIMEOUT_SECONDS = 3;
const DEFAULT_MEMORY_MB = 128;

export const FUNCTION_NAMES: readonly FunctionName[] = [...ROUTES.map((r) => r.handler), ...SYSTEM_FUNCTIONS];

/** `create-order` -> `CreateOrder`: how lib/ names each function's construct, and so its logical id. */
function constructIdOf(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

/** Which of our functions a template function is, from its construct path or, without path metadata, its logical id. */
function nameOf(logicalId: string, resource: CfnResource): FunctionName | undefined {
  const path = resource.Metadata?.['aws:cdk:path'];
  const constructId = typeof path === 'string' ? path.split('/').slice(-2, -1)[0] : undefined;
  return FUNCTION_NAMES.find((name) => {
    const id = constructIdOf(name);
    return constructId === id || new RegExp(`^Functions${id}[0-9A-F]{8}$`).test(logicalId);
  });
}

/** `GetApiArticles` -> `get-api-articles`: the inverse of pascalCase for the names `addRoute` gives (lib/wristband.ts defaultFunctionName). */
function kebabCase(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** The name of a function wristband built for an app's route: a child of a Wristband's `Functions` construct that is not one of its own. */
function appNameOf(resource: CfnResource): string | undefined {
  const path = resource.Metadata?.['aws:cdk:path'];
  if (typeof path !== 'string') return undefined;
  const parts = path.split('/');
  return parts.at(-1) === 'Resource' && parts.at(-3) === 'Functions' ? kebabCase(parts.at(-2) as string) : undefined;
}

/** The route table in a function's template environment; none when it has no literal one. */
function routesOf(variables: Readonly<Record<string, unknown>>): readonly TableRoute[] {
  const raw = variables[ROUTES_ENV];
  if (typeof raw !== 'string') return [];
  try {
    return decodeRouteTable(raw);
  } catch {
    return [];
  }
}

export function readTemplate(templatePath: string): CfnTemplate {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(templatePath, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the template ${templatePath}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!parsed || typeof parsed !== 'object' || typeof (parsed as CfnTemplate).Resources !== 'object') {
    throw new Error(`${templatePath} is not a CloudFormation template (no Resources)`);
  }
  return parsed as CfnTemplate;
}

/** Every AWS::Lambda::Function in the template, in template order. */
export function lambdaFunctions(template: CfnTemplate, templatePath: string): FunctionEntry[] {
  const out: FunctionEntry[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const props = resource.Properties ?? {};
    const assetPath = resource.Metadata?.['aws:asset:path'];
    const environment = props.Environment as { Variables?: Record<string, unknown> } | undefined;
    const name = nameOf(logicalId, resource);
    const appName = name === undefined ? appNameOf(resource) : undefined;
    out.push({
      logicalId,
      name,
      ...(appName === undefined ? {} : { appName }),
      // The authorizer holds every route: it serves none of them.
      routes: name === 'authorizer' ? [] : routesOf(environment?.Variables ?? {}),
      assetDir: typeof assetPath === 'string' ? resolve(dirname(templatePath), assetPath) : undefined,
      handler: typeof props.Handler === 'string' ? props.Handler : 'index.handler',
      runtime: typeof props.Runtime === 'string' ? props.Runtime : 'nodejs22.x',
      timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : DEFAULT_TIMEOUT_SECONDS,
      memoryMb: typeof props.MemorySize === 'number' ? props.MemorySize : DEFAULT_MEMORY_MB,
      variables: environment?.Variables ?? {},
    });
  }
  return out;
}

/** How `--list` and the errors show a function: its name (wristband's, or the one its route gave it) and its routes. */
export function functionLabel(f: FunctionEntry): string {
  return [f.name ?? f.appName ?? '-', ...f.routes.map((r) => `${r.method} ${r.path}`)].join('  ');
}

/**
 * A function by logical id (`FunctionsLogin53C97D7C`), by name (`login`, or
 * the name an app's route gave it), or by a protected route it serves, as
 * its route table says (`"DELETE /api/articles/{id}"` or a concrete
 * `"DELETE /api/articles/42"`).
 */
export function findFunction(functions: readonly FunctionEntry[], query: string): FunctionEntry {
  const found =
    functions.find((f) => f.logicalId === query) ?? functions.find((f) => f.name === query) ?? functions.find((f) => f.appName === query) ?? routeServer(functions, query)?.fn;
  if (found) return found;
  const known = functions.map((f) => `  ${functionLabel(f).padEnd(40)} ${f.logicalId}`).join('\n');
  throw new Error(`no function ${JSON.stringify(query)} in the template; these are:\n${known}`);
}

/** The function serving `"METHOD /path"` (a route's pattern or a concrete path), and that route. */
export function routeServer(functions: readonly FunctionEntry[], query: string): { fn: FunctionEntry; route: TableRoute } | undefined {
  const match = /^([A-Z]+)\s+(\/\S*)$/.exec(query.trim());
  if (!match) return undefined;
  const [, method, path] = match as unknown as [string, string, string];
  // A route's own pattern first, so `GET /api/articles/export` is not taken by `GET /api/articles/{id}`.
  for (const matches of [(r: TableRoute) => r.path === path, (r: TableRoute) => matchPath(r.path, path) !== undefined]) {
    for (const fn of functions) {
      const route = fn.routes.find((r) => r.method === method && matches(r));
      if (route) return { fn, route };
    }
  }
  return undefined;
}

/**
 * The file Lambda's Node.js runtime loads for `handler` (`index.handler`
 * -> `index.js`, `index.mjs` or `index.cjs`, in that order), or undefined.
 */
export function handlerFile(assetDir: string, handler: string): string | undefined {
  const slash = handler.lastIndexOf('/');
  const base = handler.slice(slash + 1);
  const dot = base.indexOf('.');
  if (dot <= 0) return undefined;
  const module = handler.slice(0, slash + 1) + base.slice(0, dot);
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const file = join(assetDir, module + ext);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** The newest file or directory under `paths` (relative to `root`), by modification time. */
function newest(root: string, paths: readonly string[]): { path: string; mtimeMs: number } | undefined {
  let best: { path: string; mtimeMs: number } | undefined;
  const visit = (path: string) => {
    let stat;
    try {
      stat = statSync(path);
    } catch {
      return;
    }
    if (!best || stat.mtimeMs > best.mtimeMs) best = { path, mtimeMs: stat.mtimeMs };
    if (stat.isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
  };
  for (const path of paths) visit(join(root, path));
  return best;
}

/** Why the template needs a synth (it is missing, or something it was made from changed since), or undefined if it is fresh. */
export function staleReason(root: string, templatePath: string): string | undefined {
  let templateMtime: number;
  try {
    templateMtime = statSync(templatePath).mtimeMs;
  } catch {
    return `${relative(root, templatePath)} does not exist`;
  }
  const input = newest(root, SYNTH_INPUTS);
  if (input && input.mtimeMs > templateMtime) return `${relative(root, input.path)} changed after ${relative(root, templatePath)} was written`;
  return undefined;
}

/** `npx cdk synth --quiet` in `root`, its output on our stderr. Throws when it fails. */
export function synthesize(root: string): void {
  const result = spawnSync('npx', ['cdk', 'synth', '--quiet'], { cwd: root, stdio: ['ignore', process.stderr, process.stderr] });
  if (result.error) throw new Error(`cdk synth could not start: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`cdk synth failed (exit ${result.status ?? result.signal})`);
}

/** What an app's synth reads: everything in its folder but its output, its dependencies, its local data and dot folders. */
function appInputs(root: string): string[] {
  return readdirSync(root).filter((entry) => !['cdk.out', 'node_modules', '.data'].includes(entry) && !entry.startsWith('.'));
}

/**
 * The template of the app's stack that holds a Wristband, from the cloud
 * assembly's manifest in `root`/cdk.out (an app's stack is named by the app,
 * not `Wristband`); undefined when there is no assembly yet.
 */
export function appTemplate(root: string): string | undefined {
  const outdir = join(root, 'cdk.out');
  let manifest: { artifacts?: Record<string, { type?: string; properties?: { templateFile?: string } }> };
  try {
    manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const templates = Object.values(manifest.artifacts ?? {})
    .filter((artifact) => artifact.type === 'aws:cloudformation:stack' && typeof artifact.properties?.templateFile === 'string')
    .map((artifact) => join(outdir, artifact.properties?.templateFile as string))
    .filter((file) => existsSync(file) && lambdaFunctions(readTemplate(file), file).some((fn) => fn.name === 'authorizer'));
  if (templates.length > 1) throw new Error(`cdk.out has ${templates.length} stacks with a Wristband (${templates.map((t) => relative(root, t)).join(', ')}): give one with -t`);
  return templates[0];
}

/**
 * The template to invoke from: `templatePath` as given (never synthesized,
 * like `sam local invoke -t`), or cdk.out's, synthesized first when it is
 * missing or older than the code. With `app`, `root` is a CDK app's folder
 * (`npx wristband invoke` there): its stack is found in cdk.out's manifest,
 * and any file of the app newer than it means a synth.
 */
export function ensureTemplate(
  templatePath: string | undefined,
  note: (line: string) => void,
  options: { root?: string; synth?: (root: string) => void; app?: boolean } = {},
): string {
  if (templatePath !== undefined) return resolve(templatePath);
  const root = options.root ?? PROJECT_ROOT;
  if (options.app) {
    let template = appTemplate(root);
    const newer = template === undefined ? undefined : newest(root, appInputs(root));
    const reason =
      template === undefined
        ? 'cdk.out has no stack with a Wristband yet'
        : newer && newer.mtimeMs > statSync(template).mtimeMs
          ? `${relative(root, newer.path)} changed after ${relative(root, template)} was written`
          : undefined;
    if (reason) {
      note(`synthesizing (npx cdk synth --quiet): ${reason}`);
      (options.synth ?? synthesize)(root);
      template = appTemplate(root);
    }
    if (template === undefined) throw new Error(`cdk.out in ${root} has no stack with a Wristband: is this the folder of your CDK app?`);
    return template;
  }
  const template = join(root, 'cdk.out', `${STACK_NAME}.template.json`);
  const reason = staleReason(root, template);
  if (reason) {
    note(`synthesizing (npx cdk synth --quiet): ${reason}`);
    (options.synth ?? synthesize)(root);
  }
  return template;
}
