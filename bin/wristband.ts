/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy`. The configuration is
 * validated before anything is built; a bad value stops here with the key,
 * the allowed range and the value it got. cdk-nag's AwsSolutions pack
 * checks the result: an unacknowledged error fails the synth.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../lib/config';
import { addSecurityChecks } from '../lib/security-checks';
import { buildWristband } from '../lib/wristband-stack';

const app = new App();
addSecurityChecks(app);
try {
  buildWristband(app);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
