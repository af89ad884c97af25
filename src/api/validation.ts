import type { z } from 'zod';
import { ValidationError, type FieldError } from '../infrastructure/errors';

export type InputLocation = 'body' | 'query' | 'params' | 'headers';

/**
 * Parses one part of a request with its schema, or throws ValidationError
 * with one entry per bad field. Unlike `ValidationError.fromZod`, a missing
 * field is reported as `received: undefined` and enum choices as `values`, so
 * the message catalog can say "required field" and list the choices.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, location: InputLocation): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  // One message per field is enough for a client to act on; a value can fail several checks at once.
  const byPath = new Map<string, FieldError>();
  for (const issue of result.error.issues) {
    const fieldError = toFieldError(issue, input, location);
    if (!byPath.has(fieldError.path)) byPath.set(fieldError.path, fieldError);
  }
  throw new ValidationError([...byPath.values()]);
}

function toFieldError(issue: z.core.$ZodIssue, input: unknown, location: InputLocation): FieldError {
  const raw = issue as unknown as Record<string, unknown>;
  const params: FieldError['params'] = {};
  for (const key of ['minimum', 'maximum', 'expected', 'format', 'origin'] as const) {
    const value = raw[key];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') params[key] = value;
    if (typeof value === 'bigint') params[key] = Number(value);
  }
  if (issue.code === 'unrecognized_keys') params.keys = issue.keys.join(', ');
  if (issue.code === 'invalid_value') params.values = issue.values.map(String).join(', ');
  if (issue.code === 'custom' || issue.code === 'invalid_format') params.message = issue.message;
  if (issue.code === 'invalid_type' && valueAt(input, issue.path) === undefined) params.received = 'undefined';
  const path = [location, ...issue.path.map(String)].join('.');
  return { path, issue: issue.code, params };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
