/**
 * The package entry (`wristband`): everything a CDK app needs. Handlers
 * import `wristband/handler` (lambdas/protect.ts) instead, which loads no CDK.
 */
export { Wristband, ENTRY_FUNCTION_DEFAULTS, type AddRouteOptions, type Allow, type WristbandProps, type WristbandRoute } from './wristband';
export { WristbandStack, buildWristband, STACK_NAME, type WristbandStackProps } from './wristband-stack';
export { ConfigError, resolveConfig, configFromApp, type AlarmNotify, type WristbandConfig, type WristbandConfigProps } from './config';
export { addSecurityChecks } from './security-checks';
export { FUNCTION_SPECS, grants, type FunctionSpec, type ItemGrants } from './function-specs';
export { DEFAULT_ROLE_CONFIG, type Role, type RoleConfig } from '../lambdas/contract/roles';
export type { Access, HttpMethod } from '../lambdas/contract/routes';
