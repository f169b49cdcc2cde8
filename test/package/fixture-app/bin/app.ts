/**
 * A team's CDK app on wristband's public API: the `Wristband` construct with
 * three roles of its own, and two routes with the team's own handler files.
 * The construct builds the table, keys, auth routes, authorizer (its route
 * table includes these routes), monitoring and the cdk-nag acknowledgements;
 * addSecurityChecks runs cdk-nag's AwsSolutions pack over all of it.
 */
import { App, Stack } from 'aws-cdk-lib';
import { join } from 'node:path';
import { addSecurityChecks, Wristband } from 'wristband';

const app = new App();
addSecurityChecks(app);
const stack = new Stack(app, 'Articles');
const auth = new Wristband(stack, 'Auth', {
  roles: ['reader', 'editor', 'admin'],
  registrationRole: 'reader',
  createAdminRole: 'admin',
  userManagerRoles: ['admin'],
  removalPolicy: 'destroy',
});

auth.addRoute({ method: 'GET', path: '/api/articles', allow: 'authenticated', entry: join(__dirname, '..', 'handlers', 'list-articles.ts') });
auth.addRoute({ method: 'DELETE', path: '/api/articles/{id}', allow: ['editor', 'admin'], entry: join(__dirname, '..', 'handlers', 'delete-article.ts') });
