/** The package's entry (`import … from 'wristband'`): what a team's CDK app needs to add wristband. */
import { App } from 'aws-cdk-lib';
import * as wristband from '../../lib/index';

it('exports the stack, its builder, the configuration error and the security checks', () => {
  expect(Object.keys(wristband).sort()).toEqual(
    ['ConfigError', 'STACK_NAME', 'WristbandStack', 'addSecurityChecks', 'buildWristband', 'configFromApp', 'resolveConfig'].sort(),
  );
  expect(() => wristband.resolveConfig({ props: { bcryptCost: 99 } })).toThrow(wristband.ConfigError);
  expect(wristband.addSecurityChecks(new App())).toBeDefined();
});
