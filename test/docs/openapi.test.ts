/**
 * docs/openapi.json against the code: it is what `npm run openapi` writes
 * today, it has an operation for every route with the route's callers, and
 * its request schemas accept and refuse what the handlers' parsers accept
 * and refuse (the sample events' bodies, and the same bodies with an
 * unknown field, a missing field or a wrong type).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { callersOf, documentedRoutes, SUCCESS } from '../../lambdas/contract/openapi';
import { REQUEST_BODIES } from '../../lambdas/contract/request-bodies';
import { ValidationError } from '../../lambdas/contract/errors';
import { parseBody, type Shape } from '../../lambdas/contract/validation';
import { OPENAPI_FILE, renderOpenApi } from '../../scripts/openapi';
import { loadOpenApi, validatorFor } from '../support/openapi-check';

const document = loadOpenApi();
const validate = validatorFor(document);
const pointerSegment = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

it('docs/openapi.json is what `npm run openapi` writes (run it after changing a route or a body)', () => {
  expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(renderOpenApi());
});

describe.each(documentedRoutes().map((route) => [`${route.method} ${route.path}`, route] as const))('%s', (_name, route) => {
  const operation = document.paths[route.path]?.[route.method.toLowerCase()];

  it('has an operation with its success answer and who may call it', () => {
    expect(operation).toEqual(expect.objectContaining({ operationId: route.handler }));
    expect(SUCCESS[route.handler]).toBeDefined();
    expect(Object.keys(operation.responses)).toContain(String(SUCCESS[route.handler]?.status));
    const callers = callersOf(route);
    if (callers.public) {
      expect(operation.security).toEqual([]);
    } else {
      expect(operation.security).toEqual([{ bearer: [] }]);
      expect(operation['x-wristband-roles']).toEqual(callers.roles);
      expect(operation.responses).toEqual(expect.objectContaining({ 401: expect.anything(), 403: expect.anything() }));
    }
  });
});

/** One valid body per route that takes one: the sample events' (events/, generated from the route table). */
function sampleBody(handler: string): Record<string, unknown> {
  const event = JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', `${handler}.json`), 'utf8')) as { body: string };
  return JSON.parse(event.body) as Record<string, unknown>;
}

describe.each(Object.entries(REQUEST_BODIES) as [string, Shape][])('the %s body', (handler, shape) => {
  const route = documentedRoutes().find((r) => r.handler === handler);
  const accepts = (body: unknown) => validate(`/paths/${pointerSegment(route!.path)}/${route!.method.toLowerCase()}/requestBody/content/application~1json/schema`, body).length === 0;
  const parses = (body: unknown) => {
    try {
      parseBody(body, shape);
      return true;
    } catch (error) {
      if (error instanceof ValidationError) return false;
      throw error;
    }
  };
  const valid = sampleBody(handler);
  const required = Object.keys(valid).find((key) => !shape[key]!.optional)!;

  it.each([
    ['the sample body', valid, true],
    ['an unknown field', { ...valid, role: 'admin', extra: 1 }, false],
    ['a missing required field', Object.fromEntries(Object.entries(valid).filter(([key]) => key !== required)), false],
    ['a number where a value of another type belongs', { ...valid, [required]: 12 }, false],
    ['not an object', [valid], false],
  ])('the document and the handler agree on %s', (_case, body, ok) => {
    expect([parses(body), accepts(body)]).toEqual([ok, ok]);
  });
});

describe('docs/api.md', () => {
  const page = readFileSync(join(__dirname, '..', '..', 'docs', 'api.md'), 'utf8');

  it.each(documentedRoutes().map((route) => `${route.method} ${route.path}`))('has a table row for %s', (route) => {
    expect(page).toMatch(new RegExp(`^\\| \`${route.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\` \\|`, 'm'));
  });
});
