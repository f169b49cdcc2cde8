/** The package's entry (`import … from 'wristband'`): what a team's CDK app needs to add wristband. */
import { App } from 'aws-cdk-lib';
import * as wristband from '../../lib/index';

it('exports the construct, the stack, its builder, the configuration, the function specs and the security checks', () => {
  expect(Object.keys(wristband).sort()).toEqual(
    [
      'ConfigError',
      'DEFAULT_ROLE_CONFIG',
      'ENTRY_FUNCTION_DEFAULTS',
      'FUNCTION_SPECS',
      'STACK_NAME',
      'Wristband',
      'WristbandStack',
      'addSecurityChecks',
      'buildWristband',
      'configFromApp',
      'grants',
      'resolveConfig',
    ].sort(),
  );
  expect(() => wristband.resolveConfig({ props: { bcryptCost: 99 } })).toThrow(wristband.ConfigError);
  expect(wristband.addSecurityChecks(new App())).toBeDefined();
});
