/**
 * The wristband's own functions: one per route handler of its own routes
 * (ROUTES without the demo's), plus the authorizer and the key rotation
 * function (SYSTEM_FUNCTIONS). Functions for routes added with an `entry`
 * (Wristband.addRoute) are built here too, so they get the same defaults.
 */
import { Construct } from 'constructs';
import { isDemoRoute, ROUTES, SYSTEM_FUNCTIONS, type FunctionName } from '../../lambdas/contract/routes';
import type { WristbandConfig } from '../config';
import type { FunctionSpec } from '../function-specs';
import { pascalCase, WristbandFunction, type FunctionResources } from './wristband-function';

export interface WristbandFunctionsProps {
  readonly config: WristbandConfig;
  readonly resources: FunctionResources;
}

/** Every function name of the demo stack, routes first, each once (two routes may share a handler). */
export function functionNames(): FunctionName[] {
  return [...new Set<FunctionName>([...ROUTES.map((r) => r.handler), ...SYSTEM_FUNCTIONS])];
}

/** The functions the construct builds by itself: its own routes' handlers and the system functions. */
export function ownFunctionNames(): FunctionName[] {
  return [...new Set<FunctionName>([...ROUTES.filter((r) => !isDemoRoute(r)).map((r) => r.handler), ...SYSTEM_FUNCTIONS])];
}

export class WristbandFunctions extends Construct {
  private readonly functions = new Map<string, WristbandFunction>();

  constructor(
    scope: Construct,
    id: string,
    private readonly props: WristbandFunctionsProps,
  ) {
    super(scope, id);
    for (const name of ownFunctionNames()) this.add(name);
  }

  /** Builds a function (once per name). */
  add(name: string, options: { spec?: FunctionSpec; entry?: string } = {}): WristbandFunction {
    if (this.functions.has(name)) throw new Error(`a function named ${name} exists already`);
    const fn = new WristbandFunction(this, pascalCase(name), { name, config: this.props.config, resources: this.props.resources, ...options });
    this.functions.set(name, fn);
    return fn;
  }

  get(name: string): WristbandFunction | undefined {
    return this.functions.get(name);
  }

  /** Every function, by name, in the order they were built. */
  get byName(): Readonly<Record<FunctionName, WristbandFunction>> & Readonly<Record<string, WristbandFunction>> {
    return Object.fromEntries(this.functions) as Record<FunctionName, WristbandFunction>;
  }
}
