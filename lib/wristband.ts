/**
 * The `Wristband` construct: JWT auth in front of an app's REST API. It
 * builds the table, the signing keys and their rotation, wristband's own
 * routes (register, login, refresh, logout, JWKS, sessions, password, user
 * management), the TOKEN authorizer, the alarms and dashboard, the WAF rate
 * rule and the security-check acknowledgements; the app adds its routes:
 *
 *   const auth = new Wristband(this, 'Auth', { roles: ['reader', 'editor', 'admin'], registrationRole: 'reader' });
 *   auth.addRoute({ method: 'GET', path: '/api/articles', allow: 'authenticated', entry: 'src/articles.ts' });
 *   auth.addRoute({ method: 'DELETE', path: '/api/articles/{id}', allow: ['editor', 'admin'], handler: deleteFn });
 *
 * The authorizer's IAM policy is built from one route table, rendered at
 * synth into its environment (ROUTES_ENV, lambdas/contract/route-table.ts)
 * lazily, so routes added after the construct are covered exactly like its
 * own. Every function that serves a protected route gets the part of the
 * table it serves and MFA_REQUIRED_ROLES, so `protectedHandler`
 * (lambdas/protect.ts) can refuse, behind a cached Allow, what the policy refuses.
 */
import { Annotations, Aspects, Duration, Lazy, Stack, type IAspect } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import { Function as LambdaFunction, type CfnFunction, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct, type IConstruct } from 'constructs';
import { isAbsolute, resolve } from 'node:path';
import { encodeRouteTable, HTTP_METHODS, LAMBDA_ENVIRONMENT_MAX_BYTES, ROUTES_ENV, type TableRoute } from '../lambdas/contract/route-table';
import { encodeRoleConfig, ROLES_ENV, type RoleConfig } from '../lambdas/contract/roles';
import { accessOf, isDemoRoute, ROUTES, type Access, type HttpMethod, type Route } from '../lambdas/contract/routes';
import { configFromApp, type WristbandConfig, type WristbandConfigProps } from './config';
import { MFA_REQUIRED_ROLES } from '../lambdas/contract/settings';
import { SigningKeys } from './constructs/signing-keys';
import { WristbandApi } from './constructs/wristband-api';
import { removalPolicyOf, settingsEnvironment, type WristbandFunction } from './constructs/wristband-function';
import { WristbandFunctions } from './constructs/wristband-functions';
import { WristbandMonitoring } from './constructs/wristband-monitoring';
import { WristbandTable } from './constructs/wristband-table';
import type { FunctionSpec } from './function-specs';
import { acknowledgeSecurityFindings } from './security-checks';

export interface WristbandProps extends WristbandConfigProps {
  /**
   * A REST API the app already owns: wristband adds its routes, its
   * authorizer and its gateway responses there. Default: a new API.
   */
  readonly api?: RestApi;
  /** The configuration, already resolved (WristbandStack passes it); default: resolved from these props and the CDK context. */
  readonly config?: WristbandConfig;
}

/** Who may call a route: anybody, any signed-in caller, or callers with one of these roles. */
export type Allow = Access;

export interface AddRouteOptions {
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/api/articles/{id}`. */
  readonly path: string;
  readonly allow: Allow;
  /** The function behind the route. Exactly one of `handler` and `entry`. */
  readonly handler?: IFunction;
  /**
   * A TypeScript or JavaScript file exporting `handler`: wristband builds the
   * function with its defaults (arm64, Node.js 22, X-Ray, its own log group
   * and role), and the local stack (`npm start`) runs it.
   */
  readonly entry?: string;
  /** The function's name when built from `entry` (construct id, FUNCTION_SPECS key). Default: from method and path. */
  readonly name?: string;
  /** Memory, timeout and grants of a function built from `entry` (default: 256 MB, 5 s, no table access). */
  readonly functionSpec?: Partial<FunctionSpec>;
}

/** A route as the construct holds it. */
export interface WristbandRoute extends TableRoute {
  readonly function: IFunction;
  /** The handler file, when wristband built the function (its own routes, and `entry` routes). */
  readonly entry?: string;
  /** Whether the route is one of wristband's own. */
  readonly own: boolean;
}

/** Memory and timeout of a function built from an `entry` unless its route says otherwise. */
export const ENTRY_FUNCTION_DEFAULTS: FunctionSpec = { memoryMb: 256, timeoutSeconds: 5, description: 'app route' };

/** Marks constructs in the tree so that tools (the local stack) can find every Wristband without importing this module twice. */
const WRISTBAND_MARKER = Symbol.for('wristband.Wristband');

export class Wristband extends Construct {
  /** Whether a construct is a Wristband (also across two copies of this package). */
  static isWristband(x: unknown): x is Wristband {
    return typeof x === 'object' && x !== null && WRISTBAND_MARKER in x;
  }

  /**
   * Calls `listener` with every Wristband built until the returned function
   * is called: how the local stack finds the constructs an app builds.
   */
  static onCreate(listener: (wristband: Wristband) => void): () => void {
    const listeners = createListeners();
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  readonly config: WristbandConfig;
  readonly roles: RoleConfig;
  readonly table: WristbandTable;
  readonly signingKeys: SigningKeys;
  readonly functions: WristbandFunctions;
  readonly api: WristbandApi;
  private readonly routeList: WristbandRoute[] = [];
  private builtMonitoring: WristbandMonitoring | undefined;

  constructor(scope: Construct, id: string, props: WristbandProps = {}) {
    super(scope, id);
    Object.defineProperty(this, WRISTBAND_MARKER, { value: true });
    for (const listener of createListeners()) listener(this);
    const { api, config: given, ...configProps } = props;
    const config = given ?? configFromApp(this, configProps);
    this.config = config;
    this.roles = config.roles;

    this.table = new WristbandTable(this, 'Data', { removalPolicy: removalPolicyOf(config) });
    this.signingKeys = new SigningKeys(this, 'SigningKeys');
    this.functions = new WristbandFunctions(this, 'Functions', {
      config,
      resources: { table: this.table.table, publicKeys: this.signingKeys.publicKeys, signingKey: this.signingKeys.secret, totpKey: this.signingKeys.totpKey },
    });
    const rotation = this.functions.get('rotate-keys') as WristbandFunction;
    this.signingKeys.addRotation(rotation, Duration.days(config.keyRotationDays));

    const authorizer = this.functions.get('authorizer') as WristbandFunction;
    this.api = new WristbandApi(this, 'Http', { config, authorizerFunction: authorizer, ...(api ? { api } : {}) });
    // The whole table, rendered at synth: routes added after this line are in it too.
    authorizer.addEnvironment(ROUTES_ENV, Lazy.string({ produce: () => encodeRouteTable(this.routeList) }));

    for (const route of ROUTES as readonly Route[]) {
      if (isDemoRoute(route)) continue;
      const fn = this.functions.get(route.handler) as WristbandFunction;
      this.register({ method: route.method, path: route.path, access: accessOf(route.access, config.roles) }, fn, true);
    }

    // Monitoring and the security-check acknowledgements cover every function and route, so they are built at synth, after the app's addRoute calls.
    Aspects.of(this).add(new BuildAtSynth(this));
    this.node.addValidation({ validate: () => this.environmentProblems() });
  }

  /**
   * Adds a route. With `entry`, wristband builds the function; with
   * `handler`, the app's own function is used (a `lambda.Function` gets the
   * route table, the role configuration and MFA_REQUIRED_ROLES in its environment; an imported one
   * cannot, and `protectedHandler` in it refuses every call).
   */
  addRoute(options: AddRouteOptions): IFunction {
    const { method, path, allow } = options;
    const where = `addRoute(${method} ${path})`;
    if (!HTTP_METHODS.includes(method)) throw new Error(`${where}: method must be one of ${HTTP_METHODS.join(', ')}`);
    if (!/^\/([A-Za-z0-9._~-]+|\{[A-Za-z0-9_]+\})?(\/([A-Za-z0-9._~-]+|\{[A-Za-z0-9_]+\}))*$/.test(path)) {
      throw new Error(`${where}: path must be /segment/{param}/... (letters, digits, . _ ~ -), got ${JSON.stringify(path)}`);
    }
    if ((options.handler === undefined) === (options.entry === undefined)) throw new Error(`${where}: give exactly one of handler and entry`);
    if (allow !== 'public' && allow !== 'authenticated') {
      if (!Array.isArray(allow) || allow.length === 0) throw new Error(`${where}: allow must be 'public', 'authenticated' or a non-empty list of roles`);
      const unknown = allow.filter((role) => !this.roles.roles.includes(role));
      if (unknown.length > 0) throw new Error(`${where}: unknown role ${unknown.join(', ')} (roles: ${this.roles.roles.join(', ')})`);
    }
    const clash = this.routeList.find((route) => route.method === method && route.path === path);
    if (clash) throw new Error(`${where}: the route exists already${clash.own ? " (one of wristband's own)" : ''}`);

    let fn: IFunction;
    let entry: string | undefined;
    if (options.entry !== undefined) {
      entry = isAbsolute(options.entry) ? options.entry : resolve(options.entry);
      const name = options.name ?? defaultFunctionName(method, path);
      fn =
        this.functions.get(name) ??
        this.functions.add(name, {
          entry,
          spec: { ...ENTRY_FUNCTION_DEFAULTS, description: `${method} ${path}`, ...options.functionSpec },
        });
    } else {
      fn = options.handler as IFunction;
    }
    this.register({ method, path, access: allow }, fn, false, entry);
    return fn;
  }

  /** Every route, wristband's own first, in the order they were added. */
  get routes(): readonly WristbandRoute[] {
    return this.routeList;
  }

  /** The alarms and dashboard; built at synth (they cover routes added after the construct). */
  get monitoring(): WristbandMonitoring {
    if (!this.builtMonitoring) throw new Error('Wristband.monitoring exists once the app is synthesized');
    return this.builtMonitoring;
  }

  /** The stage URL, ending in `/`. */
  get url(): string {
    return this.api.url;
  }

  private register(route: TableRoute, fn: IFunction, own: boolean, entry?: string): void {
    const ownEntry = own ? (fn as WristbandFunction).entryFile : entry;
    this.routeList.push({ method: route.method, path: route.path, access: route.access, function: fn, own, ...(ownEntry ? { entry: ownEntry } : {}) });
    this.api.addRoute(route, fn);
    if (route.access === 'public') return;
    if (fn instanceof LambdaFunction) {
      // Only the routes this function serves, so protectedHandler checks its own route and the variable stays small.
      if (!this.routeEnvFunctions.has(fn)) {
        this.routeEnvFunctions.add(fn);
        fn.addEnvironment(ROUTES_ENV, Lazy.string({ produce: () => encodeRouteTable(this.routeList.filter((r) => r.function === fn)) }));
        fn.addEnvironment(ROLES_ENV, encodeRoleConfig(this.roles));
        // protectedHandler asks the policy's question (lambdas/contract/routes.ts routeRefusal), which needs the roles that need a second factor.
        fn.addEnvironment(MFA_REQUIRED_ROLES.env, settingsEnvironment(this.config)[MFA_REQUIRED_ROLES.env] as string);
      }
    } else {
      Annotations.of(this).addWarningV2(
        'wristband:imported-handler',
        `${route.method} ${route.path}: an imported function gets no route table; protectedHandler in it refuses every call (pass a lambda.Function or an entry)`,
      );
    }
  }

  private readonly routeEnvFunctions = new Set<IFunction>();

  /** @internal called once at synth by BuildAtSynth. */
  buildAtSynth(): void {
    if (this.builtMonitoring) return;
    const functions = this.functions.byName;
    this.builtMonitoring = new WristbandMonitoring(this, 'Monitoring', {
      config: this.config,
      api: this.api,
      functions,
      table: this.table.table,
      routes: this.routeList,
    });
    acknowledgeSecurityFindings(this);
  }

  /** Lambda refuses a function whose environment exceeds 4 KB: say so at synth, naming the route table, rather than at deploy. */
  private environmentProblems(): string[] {
    const problems: string[] = [];
    const stack = Stack.of(this);
    for (const fn of Object.values(this.functions.byName)) {
      const cfn = fn.node.defaultChild as CfnFunction;
      const variables = (stack.resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined)?.variables ?? {};
      // A value CloudFormation fills in at deploy (a parameter name, an ARN) is counted at a generous 256 bytes.
      const bytes = Object.entries(variables).reduce((sum, [key, value]) => sum + key.length + (typeof value === 'string' ? Buffer.byteLength(value) : 256), 0);
      if (bytes > LAMBDA_ENVIRONMENT_MAX_BYTES) {
        const table = variables[ROUTES_ENV];
        problems.push(
          `function ${fn.wristbandName}: its environment needs about ${bytes} bytes and Lambda allows ${LAMBDA_ENVIRONMENT_MAX_BYTES}; ` +
            `the route table (${ROUTES_ENV}) takes ${typeof table === 'string' ? table.length : 0} of them: fewer protected routes or shorter paths`,
        );
      }
    }
    return problems;
  }
}

/** One listener set per process, shared by every copy of this module (the app may load its own). */
function createListeners(): Set<(wristband: Wristband) => void> {
  const key = Symbol.for('wristband.onCreate');
  const holder = globalThis as unknown as Record<symbol, Set<(wristband: Wristband) => void> | undefined>;
  holder[key] ??= new Set();
  return holder[key];
}

/** `DELETE /api/articles/{id}` -> `delete-api-articles-id`. */
export function defaultFunctionName(method: string, path: string): string {
  const words = path.split(/[^A-Za-z0-9]+/).filter((w) => w !== '').map((w) => w.toLowerCase());
  return [method.toLowerCase(), ...words].join('-').slice(0, 60);
}

/** Builds what must see every route (monitoring, acknowledgements) once, when the app synthesizes. */
class BuildAtSynth implements IAspect {
  constructor(private readonly wristband: Wristband) {}
  visit(node: IConstruct): void {
    if (node === this.wristband) this.wristband.buildAtSynth();
  }
}

/** Resolves and validates the configuration from a scope's context and props (ConfigError lists every problem). */
export function wristbandConfig(scope: Construct, props?: WristbandConfigProps): WristbandConfig {
  return configFromApp(scope, props);
}
