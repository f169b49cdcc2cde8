/**
 * The wristband stack: a thin stack around the `Wristband` construct
 * (lib/wristband.ts), with the outputs a deployment reads. The demo app
 * (bin/wristband.ts) builds it and adds the demo's routes; a team that has
 * its own stack uses the construct directly.
 */
import { CfnOutput, Lazy, Stack, type App, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { configFromApp, STACK_NAME_SETTING, type WristbandConfig, type WristbandConfigProps } from './config';
import { Wristband } from './wristband';

/** The default stack name (`stackName` in the config changes it). */
export const STACK_NAME = STACK_NAME_SETTING.default;

export interface WristbandStackProps extends StackProps {
  /** Resolved and validated (see resolveConfig); the stack never reads context itself. */
  readonly config: WristbandConfig;
}

export class WristbandStack extends Stack {
  readonly config: WristbandConfig;
  /** The construct; its id `Default` keeps every logical id what it was before the construct existed. */
  readonly auth: Wristband;

  constructor(scope: Construct, id: string, props: WristbandStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;
    this.auth = new Wristband(this, 'Default', { config });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the API (the stage URL, ending in /)' });
    new CfnOutput(this, 'JwksUrl', { value: this.api.jwksUrl, description: 'Public keys that verify access tokens' });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName, description: 'DynamoDB table (for create-admin)' });
    new CfnOutput(this, 'DashboardName', {
      value: Lazy.string({ produce: () => this.monitoring.dashboard.dashboardName }),
      description: 'CloudWatch dashboard (docs/operations.md)',
    });
  }

  get table() {
    return this.auth.table;
  }
  get signingKeys() {
    return this.auth.signingKeys;
  }
  get functions() {
    return this.auth.functions;
  }
  get api() {
    return this.auth.api;
  }
  get monitoring() {
    return this.auth.monitoring;
  }
}

/**
 * Builds the stack from the app's context (and optional props), validating
 * the configuration first: a bad value throws ConfigError before any
 * construct exists. The stack's name is `stackName` (default Wristband).
 */
export function buildWristband(app: App, options: { props?: WristbandConfigProps; stackProps?: StackProps } = {}): WristbandStack {
  const config = configFromApp(app, options.props);
  return new WristbandStack(app, config.stackName, {
    description: 'wristband: serverless JWT auth (API Gateway, Lambda, DynamoDB)',
    ...options.stackProps,
    config,
  });
}
