/**
 * The demo app: wristband's own routes plus the demo's profile, orders and
 * admin routes, added through the public `addRoute` like any team's routes.
 * The handlers stay in lambdas/handlers/ and keep their FUNCTION_SPECS
 * entries (memory, timeout, table item grants).
 */
import type { App, StackProps } from 'aws-cdk-lib';
import { handlerEntry } from '../lib/constructs/wristband-function';
import type { WristbandConfigProps } from '../lib/config';
import { FUNCTION_SPECS } from '../lib/function-specs';
import type { Wristband } from '../lib/wristband';
import { buildWristband, type WristbandStack } from '../lib/wristband-stack';
import { DEMO_HANDLERS, ROUTES, USER_MANAGERS, type Route } from '../lambdas/contract/routes';

/** Adds the demo's routes (ROUTES entries whose handler is in DEMO_HANDLERS) to a wristband. */
export function addDemoRoutes(auth: Wristband): void {
  for (const route of ROUTES as readonly Route[]) {
    const name = route.handler as (typeof DEMO_HANDLERS)[number];
    if (!DEMO_HANDLERS.includes(name)) continue;
    auth.addRoute({
      method: route.method,
      path: route.path,
      // GET /api/admin is for whoever may manage users.
      allow: route.access === USER_MANAGERS ? auth.roles.userManagers : route.access,
      entry: handlerEntry(name),
      name,
      functionSpec: FUNCTION_SPECS[name],
    });
  }
}

/** The deployed demo: the Wristband stack with the demo's routes. */
export function buildDemo(app: App, options: { props?: WristbandConfigProps; stackProps?: StackProps } = {}): WristbandStack {
  const stack = buildWristband(app, options);
  addDemoRoutes(stack.auth);
  return stack;
}
