/**
 * Real HTTP exchanges against the OpenAPI document (docs/openapi.json, the
 * one users read): every answer must be one the document lists for its
 * operation, with a body its schema accepts, and every request the API
 * accepted must have a body the document accepts. JSON Schema 2020-12 (the
 * dialect of OpenAPI 3.1) is ajv's, not a hand-written subset.
 */
import Ajv2020 from 'ajv/dist/2020';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { matchPath } from '../../lambdas/contract/routes';
import type { Api, ApiResponse, RequestOptions } from './http-client';

export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly requestBody: unknown;
  readonly status: number;
  readonly responseJson: unknown;
  readonly responseText: string;
}

type Json = any;

export function loadOpenApi(): Json {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'openapi.json'), 'utf8'));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** An ajv that knows the document as `openapi.json`, so `{ $ref: 'openapi.json#/...' }` resolves its components. */
export function validatorFor(document: Json) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addFormat('uuid', UUID);
  ajv.addFormat('date-time', DATE_TIME);
  ajv.addFormat('uri', /^https?:\/\/\S+$/);
  ajv.addSchema({ ...document, $id: 'openapi.json' });
  /** The problems of `value` against the schema at `pointer` in the document, empty when it validates. */
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();
  return (pointer: string, value: unknown): string[] => {
    let validate = compiled.get(pointer);
    if (!validate) compiled.set(pointer, (validate = ajv.compile({ $ref: `openapi.json#${pointer}` })));
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  };
}

const pointerSegment = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** What is wrong with each exchange against the document, one line per problem. */
export function openApiProblems(document: Json, exchanges: readonly Exchange[]): string[] {
  const validate = validatorFor(document);
  const problems: string[] = [];
  for (const x of exchanges) {
    const name = `${x.method} ${x.path} -> ${x.status}`;
    const pathOnly = x.path.split('?')[0] as string;
    const template = Object.keys(document.paths).find((p) => matchPath(p, pathOnly) && document.paths[p][x.method.toLowerCase()]);
    if (!template) {
      // Not a route: the contract's answer to an unknown route or method (or a preflight).
      if (x.method !== 'OPTIONS' && x.status !== 404) problems.push(`${name}: no operation, and not 404`);
      continue;
    }
    const opPointer = `/paths/${pointerSegment(template)}/${x.method.toLowerCase()}`;
    const operation = document.paths[template][x.method.toLowerCase()];
    const response = operation.responses[String(x.status)];
    if (!response) {
      problems.push(`${name}: status not documented (documented: ${Object.keys(operation.responses).join(', ')})`);
      continue;
    }
    const schema = response.content?.['application/json']?.schema;
    if (schema) {
      for (const p of validate(`${opPointer}/responses/${x.status}/content/application~1json/schema`, x.responseJson)) problems.push(`${name}: response ${p}`);
    } else if (x.responseText !== '') {
      problems.push(`${name}: documented without a body, got ${x.responseText.slice(0, 80)}`);
    }
    if (x.status < 300 && operation.requestBody && x.requestBody !== undefined) {
      for (const p of validate(`${opPointer}/requestBody/content/application~1json/schema`, x.requestBody)) problems.push(`${name}: accepted request ${p}`);
    }
  }
  return problems;
}

/** `api`, recording every exchange into `into` (JSON bodies only; raw bodies are recorded as undefined). */
export function recording(api: Api, into: Exchange[]): Api {
  return async (method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> => {
    const response = await api(method, path, options);
    into.push({ method, path, requestBody: options.raw === undefined ? options.body : undefined, status: response.status, responseJson: response.json, responseText: response.text });
    return response;
  };
}
