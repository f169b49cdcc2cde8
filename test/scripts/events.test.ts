/**
 * events/ is generated (`npm run events`) and checked in: it must be exactly
 * what the generator writes from today's route table, and it must cover
 * every function.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { FUNCTION_SPECS } from '../../lib/function-specs';
import { matchRoute, ROUTES, SYSTEM_FUNCTIONS } from '../../lambdas/contract/routes';
import { EVENTS_DIR, eventsDrift, renderEvents } from '../../scripts/events/main';
import { fillPlaceholders, placeholder, placeholdersIn } from '../../scripts/events/placeholders';
import { sampleEvents } from '../../scripts/events/samples';

describe('events/', () => {
  it('is exactly what npm run events writes (run it after changing the routes or the generator)', () => {
    const drift = eventsDrift(EVENTS_DIR, renderEvents());

    expect(drift).toEqual({ missing: [], changed: [], extra: [] });
  });

  it('has a sample for every function, and events/<function>.json for each', () => {
    const samples = sampleEvents();
    const functions = new Set(samples.map((s) => s.function));
    const files = new Set(samples.map((s) => s.file));

    expect(functions).toEqual(new Set(Object.keys(FUNCTION_SPECS)));
    for (const name of [...ROUTES.map((r) => r.handler), ...SYSTEM_FUNCTIONS]) expect(files).toContain(`${name}.json`);
  });

  it('gives each route a proxy event the route table routes to that route', () => {
    const byFile = new Map(sampleEvents().map((s) => [s.file, s.event as APIGatewayProxyEvent]));
    for (const route of ROUTES) {
      const event = byFile.get(`${route.handler}.json`)!;
      // A user id stands in for the placeholder, as npm run invoke would fill it in.
      const path = fillPlaceholders(event.path, () => '0d4c3f0e-8f5e-4a8e-9b1d-2f6c7a1e3b5d');

      expect([route.handler, event.httpMethod, event.resource]).toEqual([route.handler, route.method, route.path]);
      expect([route.handler, matchRoute(event.httpMethod, path)?.route]).toEqual([route.handler, route]);
      expect([route.handler, event.requestContext.authorizer !== null]).toEqual([route.handler, route.access !== 'public']);
    }
  });

  it('gives protected-route events the authorizer context the handlers read: principalId, sub, role, jti, exp (in the future)', () => {
    for (const sample of sampleEvents()) {
      const authorizer = (sample.event as APIGatewayProxyEvent).requestContext?.authorizer;
      if (!authorizer) continue;

      expect(authorizer).toMatchObject({ principalId: authorizer.sub, role: expect.stringMatching(/^(user|admin)$/), jti: expect.any(String) });
      expect(Number(authorizer.exp) * 1000).toBeGreaterThan(Date.now() + 365 * 24 * 3600 * 1000);
    }
  });
});

describe('placeholders', () => {
  it('are found anywhere in an event, once each', () => {
    const event = { a: placeholder('user-id', 'a@example.com'), b: [`Bearer ${placeholder('access-token', 'a@example.com')}`], c: { d: placeholder('user-id', 'a@example.com') } };

    expect(placeholdersIn(event)).toEqual([
      { kind: 'user-id', email: 'a@example.com' },
      { kind: 'access-token', email: 'a@example.com' },
    ]);
  });

  it('are replaced inside strings, and left alone when there is no value', () => {
    const event = { path: `/api/users/${placeholder('user-id', 'a@example.com')}/role`, token: placeholder('refresh-token', 'b@example.com'), n: 1, nothing: null };

    const filled = fillPlaceholders(event, (p) => (p.kind === 'user-id' ? 'ID' : undefined));

    expect(filled).toEqual({ path: '/api/users/ID/role', token: '{{refresh-token:b@example.com}}', n: 1, nothing: null });
  });
});
