/**
 * The wristband stack: the table, the signing keys, one function per
 * handler, the REST API in front of them, and the alarms and dashboard
 * that watch them. Everything it builds is read
 * from the shared tables (ROUTES, SETTINGS, TABLE, GATEWAY_RESPONSES,
 * FUNCTION_SPECS), so the stack cannot drift from the code it deploys.
 */
import { CfnOutput, Duration, Stack, type App, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { configFromApp, type WristbandConfig, type WristbandConfigProps } from './config';
import { SigningKeys } from './constructs/signing-keys';
import { WristbandApi } from './constructs/wristband-api';
import { removalPolicyOf } from './constructs/wristband-function';
import { WristbandFunctions } from './constructs/wristband-functions';
import { WristbandMonitoring } from './constructs/wristband-monitoring';
import { WristbandTable } from './constructs/wristband-table';
import { acknowledgeSecurityFindings } from './security-checks';

export const STACK_NAME = 'Wristband';

export interface WristbandStackProps extends StackProps {
  /** Resolved and validated (see resolveConfig); the stack never reads context itself. */
  readonly config: WristbandConfig;
}

export class WristbandStack extends Stack {
  readonly config: WristbandConfig;
  readonly table: WristbandTable;
  readonly signingKeys: SigningKeys;
  readonly functions: WristbandFunctions;
  readonly api: WristbandApi;
  readonly monitoring: WristbandMonitoring;

  constructor(scope: Construct, id: string, props: WristbandStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;

    this.table = new WristbandTable(this, 'Data', { removalPolicy: removalPolicyOf(config) });
    this.signingKeys = new SigningKeys(this, 'SigningKeys');
    this.functions = new WristbandFunctions(this, 'Functions', {
      config,
      resources: { table: this.table.table, publicKeys: this.signingKeys.publicKeys, signingKey: this.signingKeys.secret, totpKey: this.signingKeys.totpKey },
    });
    this.signingKeys.addRotation(this.functions.byName['rotate-keys'], Duration.days(config.keyRotationDays));

    const { authorizer, 'rotate-keys': _rotation, ...handlers } = this.functions.byName;
    this.api = new WristbandApi(this, 'Http', { config, handlers, authorizerFunction: authorizer });

    this.monitoring = new WristbandMonitoring(this, 'Monitoring', {
      config,
      api: this.api,
      functions: this.functions.byName,
      table: this.table.table,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the API (the stage URL, ending in /)' });
    new CfnOutput(this, 'JwksUrl', { value: this.api.jwksUrl, description: 'Public keys that verify access tokens' });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName, description: 'DynamoDB table (for create-admin)' });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName, description: 'CloudWatch dashboard (docs/operations.md)' });

    // The cdk-nag findings this stack accepts, each with its reason (lib/security-checks.ts).
    acknowledgeSecurityFindings(this);
  }
}

/**
 * Builds the stack from the app's context (and optional props), validating
 * the configuration first: a bad value throws ConfigError before any
 * construct exists.
 */
export function buildWristband(app: App, options: { props?: WristbandConfigProps; stackProps?: StackProps } = {}): WristbandStack {
  const config = configFromApp(app, options.props);
  return new WristbandStack(app, STACK_NAME, {
    description: 'wristband: serverless JWT auth (API Gateway, Lambda, DynamoDB)',
    ...options.stackProps,
    config,
  });
}
