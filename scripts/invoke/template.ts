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
import { ROUTES, SYSTEM_FUNCTIONS, type FunctionName } from '../../lambdas/shared/routes';

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
    out.push({
      logicalId,
      name: nameOf(logicalId, resource),
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

/** A function by logical id (`FunctionsLogin53C97D7C`) or by name (`login`). */
export function findFunction(functions: readonly FunctionEntry[], query: string): FunctionEntry {
  const found = functions.find((f) => f.logicalId === query) ?? functions.find((f) => f.name === query);
  if (found) return found;
  const known = functions.map((f) => (f.name ? `  ${f.name.padEnd(14)} ${f.logicalId}` : `  ${f.logicalId}`)).join('\n');
  throw new Error(`no function ${JSON.stringify(query)} in the template; these are:\n${known}`);
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

/**
 * The template to invoke from: `templatePath` as given (never synthesized,
 * like `sam local invoke -t`), or cdk.out's, synthesized first when it is
 * missing or older than the code.
 */
export function ensureTemplate(
  templatePath: string | undefined,
  note: (line: string) => void,
  options: { root?: string; synth?: (root: string) => void } = {},
): string {
  if (templatePath !== undefined) return resolve(templatePath);
  const root = options.root ?? PROJECT_ROOT;
  const template = join(root, 'cdk.out', `${STACK_NAME}.template.json`);
  const reason = staleReason(root, template);
  if (reason) {
    note(`synthesizing (npx cdk synth --quiet): ${reason}`);
    (options.synth ?? synthesize)(root);
  }
  return template;
}
