/**
 * Just enough schema validation for the contract's small bodies: exact
 * shapes (unknown fields are refused, so a `role` in a registration body is
 * an error, never honoured), every problem reported with its field. Each
 * parser also carries the JSON Schema of what it accepts, so the OpenAPI
 * document (lambdas/contract/openapi.ts) is generated from the very shapes
 * the handlers parse with.
 */
import { ValidationError, type FieldProblem } from './errors';
import { LIMITS } from './settings';

/** Thrown by a field parser; collected into one ValidationError. */
export class FieldIssue extends Error {}

/** A JSON Schema (2020-12, as OpenAPI 3.1 uses it), as plain data. */
export type JsonSchema = { readonly [keyword: string]: unknown };

export interface Parser<T> {
  (value: unknown, field: string): T;
  /** What the parser accepts, for the OpenAPI document. */
  readonly schema: JsonSchema;
  /** May be absent from its object (`optional()`). */
  readonly optional?: boolean;
}

function parser<T>(parse: (value: unknown, field: string) => T, schema: JsonSchema, optional = false): Parser<T> {
  return Object.assign(parse, { schema, optional });
}

/** Adds documentation (`description`, `examples`, `format`...) to a parser's schema without changing what it accepts. */
export function documented<T>(inner: Parser<T>, annotations: JsonSchema): Parser<T> {
  return parser((value, field) => inner(value, field), { ...inner.schema, ...annotations }, inner.optional);
}

/** The JSON Schema of a body or nested object of `shape`: exactly its fields, the non-optional ones required. */
export function shapeSchema(shape: Shape): JsonSchema {
  const entries = Object.entries(shape);
  const required = entries.filter(([, p]) => !p.optional).map(([key]) => key);
  return {
    type: 'object',
    properties: Object.fromEntries(entries.map(([key, p]) => [key, p.schema])),
    ...(required.length > 0 ? { required } : {}),
    additionalProperties: false,
  };
}

export type Shape = Record<string, Parser<unknown>>;
export type Parsed<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };

/** Parses a JSON object with exactly the fields of `shape`, or throws ValidationError listing every problem. */
export function parseBody<S extends Shape>(body: unknown, shape: S): Parsed<S> {
  if (body === undefined) throw new ValidationError([{ field: 'body', message: 'is required' }]);
  return parseObject(body, shape, undefined);
}

/** `field` is the object's own name, undefined for the body itself. */
function parseObject<S extends Shape>(value: unknown, shape: S, field: string | undefined): Parsed<S> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ValidationError([{ field: field ?? 'body', message: 'must be a JSON object' }]);
  }
  const prefix = field === undefined ? '' : `${field}.`;
  const problems: FieldProblem[] = [];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(shape, key)) {
      problems.push({ field: prefix + truncate(key), message: 'is not an allowed field' });
    }
  }
  for (const [key, parser] of Object.entries(shape)) {
    const name = prefix + key;
    const raw = Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
    try {
      out[key] = parser(raw, name);
    } catch (error) {
      if (error instanceof FieldIssue) problems.push({ field: name, message: error.message });
      else if (error instanceof ValidationError) problems.push(...error.details);
      else throw error;
    }
  }
  if (problems.length > 0) throw new ValidationError(problems);
  return out as Parsed<S>;
}

/** Field names come from the client: keep them short in the error body. */
function truncate(key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}...` : key;
}

/**
 * Characters that change how text around them is shown or read, never what
 * it says: C0 and C1 controls and DEL, the bidirectional marks, embeddings,
 * overrides and isolates (U+061C, U+200E/F, U+202A-E, U+2066-9, the
 * "Trojan Source" set), line and paragraph separators, the BOM, and U+FFFD
 * (what a decoder leaves of bytes that were not UTF-8). A display name with
 * them can spoof another in an admin's user list or break a log line.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this pattern finds
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ufeff\ufffd]/u;

/** A surrogate without its other half: `"\ud800"` in JSON produces one; no UTF-8 encoder can write it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Whether `text` is well-formed UTF-16 and free of UNPRINTABLE. */
export function isPlainText(text: string): boolean {
  return !LONE_SURROGATE.test(text) && !UNPRINTABLE.test(text);
}

/** `plain`: refuse control and bidi characters (see UNPRINTABLE); for text other people will see. */
export function str(options: { min?: number; max?: number; trim?: boolean; plain?: boolean } = {}): Parser<string> {
  const { min = 1, max = Infinity, trim = false, plain = false } = options;
  const schema = { type: 'string', ...(min > 0 ? { minLength: min } : {}), ...(max < Infinity ? { maxLength: max } : {}) };
  return parser((value) => {
    if (value === undefined || value === null) throw new FieldIssue('is required');
    if (typeof value !== 'string') throw new FieldIssue('must be a string');
    if (plain && !isPlainText(value)) throw new FieldIssue('must not contain control or bidirectional formatting characters');
    const text = trim ? value.trim() : value;
    const length = [...text].length;
    if (length < min) throw new FieldIssue(min === 1 ? 'must not be empty' : `must be at least ${min} characters`);
    if (length > max) throw new FieldIssue(`must be at most ${max} characters`);
    return text;
  }, schema);
}

export function int(options: { min: number; max: number }): Parser<number> {
  return parser((value) => {
    if (value === undefined || value === null) throw new FieldIssue('is required');
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new FieldIssue('must be an integer');
    if (value < options.min || value > options.max) {
      throw new FieldIssue(`must be between ${options.min} and ${options.max}`);
    }
    return value;
  }, { type: 'integer', minimum: options.min, maximum: options.max });
}

export function oneOf<const T extends readonly string[]>(values: T): Parser<T[number]> {
  return parser((value) => {
    if (value === undefined || value === null) throw new FieldIssue('is required');
    if (typeof value !== 'string' || !values.includes(value)) throw new FieldIssue(`must be one of ${values.join(', ')}`);
    return value as T[number];
  }, { type: 'string', enum: [...values] });
}

export function optional<T>(inner: Parser<T>): Parser<T | undefined> {
  return parser((value, field) => (value === undefined ? undefined : inner(value, field)), inner.schema, true);
}

export function arrayOf<T>(item: Parser<T>, options: { min: number; max: number }): Parser<T[]> {
  return parser((value, field) => {
    if (value === undefined || value === null) throw new FieldIssue('is required');
    if (!Array.isArray(value)) throw new FieldIssue('must be an array');
    if (value.length < options.min || value.length > options.max) {
      throw new FieldIssue(`must have ${options.min} to ${options.max} entries`);
    }
    const problems: FieldProblem[] = [];
    const out: T[] = [];
    value.forEach((entry, index) => {
      const entryField = `${field}[${index}]`;
      try {
        out.push(item(entry, entryField));
      } catch (error) {
        if (error instanceof FieldIssue) problems.push({ field: entryField, message: error.message });
        else if (error instanceof ValidationError) problems.push(...error.details);
        else throw error;
      }
    });
    if (problems.length > 0) throw new ValidationError(problems);
    return out;
  }, { type: 'array', items: item.schema, minItems: options.min, maxItems: options.max });
}

export function objectOf<S extends Shape>(shape: S): Parser<Parsed<S>> {
  return parser((value, field) => parseObject(value, shape, field), shapeSchema(shape));
}

/** `?limit=` (1 to the maximum page size, default the page size) and `?cursor=` (opaque; decoded by the domain). */
export function parsePageQuery(limit: string | undefined, cursor: string | undefined): { limit: number; cursor: string | undefined } {
  let size: number = LIMITS.pageSizeDefault;
  if (limit !== undefined) {
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > LIMITS.pageSizeMax) {
      throw new ValidationError([{ field: 'limit', message: `must be an integer from 1 to ${LIMITS.pageSizeMax}` }]);
    }
    size = Number(limit);
  }
  return { limit: size, cursor };
}

/**
 * The first member name that occurs twice in one object of `text`, as a
 * field path (`items[0].sku`), or undefined. JSON.parse keeps the last of
 * duplicate members silently, so `{"role":"user","role":"admin"}` would mean
 * whatever the last parser in a chain decides; refusing them leaves one
 * reading. `text` must already be valid JSON (JSON.parse accepted it): this
 * is one pass over it that only tracks where member names start, and
 * decodes a name with JSON.parse only when it holds an escape, so
 * `{"a":1,"\u0061":2}` is a duplicate too.
 */
export function findDuplicateKey(text: string): string | undefined {
  interface Frame {
    readonly path: string;
    /** Member names seen, for an object; undefined for an array. */
    readonly keys: Set<string> | undefined;
    expectKey: boolean;
    lastKey: string;
    index: number;
  }
  const stack: Frame[] = [];
  const childPath = (): string => {
    const parent = stack[stack.length - 1];
    if (!parent) return '';
    if (parent.keys) return parent.path === '' ? parent.lastKey : `${parent.path}.${parent.lastKey}`;
    return `${parent.path}[${parent.index}]`;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      stack.push({ path: childPath(), keys: c === 0x7b ? new Set() : undefined, expectKey: c === 0x7b, lastKey: '', index: 0 });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
      else if (top) top.index++;
    } else if (c === 0x22 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) {
          escaped = true;
          i++;
        } else if (d === 0x22) break;
      }
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const raw = text.slice(start + 1, i);
        const key = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : raw;
        top.expectKey = false;
        top.lastKey = truncate(key);
        if (top.keys.has(key)) return top.path === '' ? top.lastKey : `${top.path}.${top.lastKey}`;
        top.keys.add(key);
      }
    }
  }
  return undefined;
}
