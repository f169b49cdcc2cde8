/**
 * The same team app on the `Wristband` construct (issue #11): two roles of
 * its own and two routes with its own handler files; the construct wires
 * the authorizer, its route table and the security checks. The tarball
 * test runs this file instead of bin/app.ts once the construct ships
 * (`node --import tsx test/package/run.ts --app wristband`).
 */
import { App, Stack } from 'aws-cdk-lib';
import { join } from 'node:path';
import { Wristband } from 'wristband';

const app = new App();
const stack = new Stack(app, 'Articles');
const auth = new Wristband(stack, 'Auth', { roles: ['reader', 'editor', 'admin'] });

auth.addRoute({ method: 'GET', path: '/api/articles', entry: join(__dirname, '..', 'handlers', 'list-articles.ts'), allow: 'authenticated' });
auth.addRoute({ method: 'DELETE', path: '/api/articles/{id}', entry: join(__dirname, '..', 'handlers', 'delete-article.ts'), allow: ['editor', 'admin'] });
