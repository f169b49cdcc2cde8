/**
 * A team's CDK app on wristband's current public API: the wristband stack,
 * and the team's two routes on its REST API behind its TOKEN authorizer,
 * with cdk-nag's AwsSolutions pack over all of it. The next version of this
 * app, on the `Wristband` construct, is bin/app.wristband.ts.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AuthorizationType, LambdaIntegration } from 'aws-cdk-lib/aws-apigateway';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IConstruct } from 'constructs';
import { join } from 'node:path';
import { addSecurityChecks, buildWristband } from 'wristband';

const app = new App();
addSecurityChecks(app);
const auth = buildWristband(app, { props: { removalPolicy: 'destroy' } });

const routes = [
  { method: 'GET', path: '/api/articles', file: 'list-articles.ts' },
  { method: 'DELETE', path: '/api/articles/{id}', file: 'delete-article.ts' },
] as const;

for (const route of routes) {
  const fn = new NodejsFunction(auth, `Team${route.file.replace(/\W/g, '')}`, {
    entry: join(__dirname, '..', 'handlers', route.file),
    bundling: { forceDockerBundling: false },
  });
  const method = auth.api.api.root
    .resourceForPath(route.path)
    .addMethod(route.method, new LambdaIntegration(fn), { authorizationType: AuthorizationType.CUSTOM, authorizer: auth.api.authorizer });
  acknowledge(fn.role?.node.defaultChild, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', 'the team function writes its own logs only');
  acknowledge(method.node.defaultChild, 'AwsSolutions-COG4', 'guarded by the wristband TOKEN authorizer');
}

function acknowledge(construct: IConstruct | undefined, id: string, reason: string): void {
  if (construct) Validations.of(construct).acknowledge({ id, reason });
}
