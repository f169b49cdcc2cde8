/**
 * Just enough schema validation for the contract's small bodies: exact
 * shapes (unknown fields are refused, so a `role` in a registration body is
 * an error, never honoured), every problem reported with its field.
 */
import { ValidationError, type FieldProblem } from './errors';
import { LIMITS } from './settings';

/** Thrown by a field parser; collected into one ValidationError. */
export class FieldIssue extends Error {}

export type Parser<T> = (value: unknown, field: string) => T;

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
    if (!Object.prototype.hasOwnProperty.call(shape, key)) {
      problems.push({ field: prefix + truncate(key), message: 'is not an allowed field' });
    }
  }
  for (const [key, parser] of Object.entries(shape)) {
    const name = prefix + key;
    const raw = Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
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

export function str(options: { min?: number; max?: number; trim?: boolean } = {}): Parser<string> {
  const { min = 1, max = Infinity, trim = false } = options;
  return (value) => {
    if (value === undefined || value === null) throw new FieldIssue('is required');
    if (typeof value !== 'string') throw new FieldIssue('must be a string');
    const text = trim ? value.trim() : value;
    const length = [...text].length;
    if (length < min) throw new FieldIssue(min === 1 ? 'must not be empty' : `must be at least ${min} characters`);
    if (length > max) throw new FieldIssue(`must be at most ${max} characters`);
    return text;
  };
}

export function int(options: { min: number; max: number }): Parser<number> {
  return (value) => {
    if (value === undefined || value === null) throw new FieldIssue('is required');
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new FieldIssue('must be an integer');
    if (value < options.min || value > options.max) {
      throw new FieldIssue(`must be between ${options.min} and ${options.max}`);
    }
    return value;
  };
}

export function oneOf<const T extends readonly string[]>(values: T): Parser<T[number]> {
  return (value) => {
    if (value === undefined || value === null) throw new FieldIssue('is required');
    if (typeof value !== 'string' || !values.includes(value)) throw new FieldIssue(`must be one of ${values.join(', ')}`);
    return value as T[number];
  };
}

export function optional<T>(parser: Parser<T>): Parser<T | undefined> {
  return (value, field) => (value === undefined ? undefined : parser(value, field));
}

export function arrayOf<T>(item: Parser<T>, options: { min: number; max: number }): Parser<T[]> {
  return (value, field) => {
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
  };
}

export function objectOf<S extends Shape>(shape: S): Parser<Parsed<S>> {
  return (value, field) => parseObject(value, shape, field);
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
