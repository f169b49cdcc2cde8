/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy`: the demo (bin/demo.ts). The configuration is
 * validated before anything is built; a bad value stops here with the key,
 * the allowed range and the value it got. cdk-nag's AwsSolutions pack
 * checks the result: an unacknowledged error fails the synth.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../lib/config';
import { addSecurityChecks } from '../lib/security-checks';
import { buildDemo } from './demo';

const app = new App();
addSecurityChecks(app);
try {
  buildDemo(app);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
