/**
 * Where the ES256 keys live. The private key is a Secrets Manager secret
 * (one key per secret version); the public key set is an SSM String
 * parameter that verifiers read and the rotation function alone writes (see
 * lambdas/keys/rotation.ts). CloudFormation creates the secret with a
 * placeholder and does not create the parameter at all: the first rotation,
 * run as soon as the schedule is created, makes the first key and publishes
 * it, and until it has run every issuer and verifier fails closed.
 */
import { type Duration, Stack } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type RotationSchedule, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { StringParameter, type IStringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

/** What the secret holds before the first rotation: not a key, so issuers refuse it. */
export const SIGNING_KEY_PLACEHOLDER_TEMPLATE = '{"status":"awaiting first rotation"}';

export interface SigningKeysProps {
  /** Name of the public key parameter; defaults to `/wristband/<stack name>/public-keys`. */
  readonly publicKeysParameterName?: string;
}

export class SigningKeys extends Construct {
  readonly secret: Secret;
  readonly publicKeys: IStringParameter;

  constructor(scope: Construct, id: string, props: SigningKeysProps = {}) {
    super(scope, id);

    // Generated, not literal: no secret-looking value in the template, and CloudFormation generates it at create only, never on update.
    this.secret = new Secret(this, 'SigningKey', {
      description: 'wristband ES256 private signing key (written by the rotation function only)',
      generateSecretString: {
        secretStringTemplate: SIGNING_KEY_PLACEHOLDER_TEMPLATE,
        generateStringKey: 'placeholder',
        excludePunctuation: true,
      },
    });

    // Not a CloudFormation resource, on purpose: CloudFormation rewrites a parameter's value whenever it updates
    // the resource (a stack tag is enough), which would unpublish every key until the next rotation. The rotation
    // function creates the parameter on the first rotation and is its only writer; until then, verifiers fail closed.
    // A standard parameter (4 KB) holds a dozen keys; rotation keeps two or three.
    this.publicKeys = StringParameter.fromStringParameterAttributes(this, 'PublicKeys', {
      parameterName: props.publicKeysParameterName ?? `/wristband/${Stack.of(this).stackName}/public-keys`,
      simpleName: false,
    });
  }

  /**
   * Rotates the signing key with `rotationFunction` every `every`, and once
   * right away: that first rotation creates the first key. The schedule
   * grants Secrets Manager permission to invoke the function.
   */
  addRotation(rotationFunction: IFunction, every: Duration): RotationSchedule {
    return this.secret.addRotationSchedule('Rotation', {
      rotationLambda: rotationFunction,
      automaticallyAfter: every,
      rotateImmediatelyOnUpdate: true,
    });
  }
}
