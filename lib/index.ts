/**
 * The package's entry (`import … from 'wristband'`): the stack, how to
 * build it from an app's configuration, and the security checks that
 * `cdk synth` runs. Only what a CDK app needs; the rest is internal.
 */
export { ConfigError, configFromApp, resolveConfig, type AlarmNotify, type WristbandConfig, type WristbandConfigProps } from './config';
export { addSecurityChecks } from './security-checks';
export { buildWristband, STACK_NAME, WristbandStack, type WristbandStackProps } from './wristband-stack';
