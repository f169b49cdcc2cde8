/**
 * Every function of the stack: one per ROUTES handler, plus the authorizer
 * and the key rotation function (SYSTEM_FUNCTIONS).
 */
import { Construct } from 'constructs';
import { ROUTES, SYSTEM_FUNCTIONS, type FunctionName } from '../../lambdas/shared/routes';
import type { WristbandConfig } from '../config';
import { pascalCase, WristbandFunction, type FunctionResources } from './wristband-function';

export interface WristbandFunctionsProps {
  readonly config: WristbandConfig;
  readonly resources: FunctionResources;
}

/** Every function name, routes first, each once (two routes may share a handler). */
export function functionNames(): FunctionName[] {
  return [...new Set<FunctionName>([...ROUTES.map((r) => r.handler), ...SYSTEM_FUNCTIONS])];
}

export class WristbandFunctions extends Construct {
  readonly byName: Readonly<Record<FunctionName, WristbandFunction>>;

  constructor(scope: Construct, id: string, props: WristbandFunctionsProps) {
    super(scope, id);
    const byName = {} as Record<FunctionName, WristbandFunction>;
    for (const name of functionNames()) {
      byName[name] = new WristbandFunction(this, pascalCase(name), { name, config: props.config, resources: props.resources });
    }
    this.byName = byName;
  }
}
