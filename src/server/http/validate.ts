/**
 * The one body validator, in the spirit of Hono's `validator()`: a middleware reads the body, checks
 * it with a zod schema and hands the typed value to the route as `c.req.valid('json' | 'form')`. Bad
 * input becomes a `GatewayError` naming the field (`fromZod`), which the app's `onError` answers.
 *
 * @example app.post('/api/v1/payments', capBody(16 * 1024), validJson(createBody), (c) => service.create(c.req.valid('json')))
 */
import type { Env, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { fromZod, GatewayError, type ErrorCode } from '../errors.ts';

type Validated<T extends 'json' | 'form', S extends z.ZodType> = { in: { [K in T]: z.input<S> }; out: { [K in T]: z.output<S> } };

/** The answer to a body that is not JSON at all. */
export const notJson = (): GatewayError => new GatewayError(400, 'invalid_body', 'body: not valid JSON', 'body');

/**
 * The dotted path of the first string (key or value) that is not well-formed UTF-16 (a lone
 * surrogate, which JSON allows as `\ud800`), if any. Such a string cannot be written as UTF-8:
 * SQLite would store the bytes `ED A0 80` and merchants would read U+FFFD.
 */
export function illFormedPath(value: unknown, path: string[] = []): string[] | undefined {
  if (typeof value === 'string') return value.isWellFormed() ? undefined : path;
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = illFormedPath(value[i], [...path, String(i)]);
      if (p) return p;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    if (!k.isWellFormed()) return [...path, k.toWellFormed()];
    const p = illFormedPath(v, [...path, k]);
    if (p) return p;
  }
  return undefined;
}

/** A surrogate escape in JSON text: only then can a parsed string be ill-formed (the text itself was decoded strictly). */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;

/**
 * Throws a 400 naming the field when a parsed JSON value holds a lone surrogate.
 * @example refuseIllFormed(JSON.parse('{"reason":"\\ud800"}'), text) // throws `reason: is not well-formed Unicode`
 */
export function refuseIllFormed(value: unknown, text: string): void {
  if (!SURROGATE_ESCAPE.test(text)) return;
  const p = illFormedPath(value);
  if (!p) return;
  const field = p.length > 0 ? p.join('.').slice(0, 64) : 'body';
  throw new GatewayError(400, 'invalid_body', `${field}: is not well-formed Unicode (a lone surrogate)`, field);
}

/**
 * A JSON body (`content-type: application/json`) valid for `schema`. With `emptyAs`, an empty body
 * counts as that value (an optional body) whatever its content type.
 */
export function validJson<S extends z.ZodType>(schema: S, opts: { emptyAs?: z.input<S> } = {}): MiddlewareHandler<Env, string, Validated<'json', S>> {
  return async (c, next) => {
    const type = c.req.header('content-type') ?? '';
    let value: unknown;
    if (opts.emptyAs !== undefined && (await c.req.text()).trim() === '') value = opts.emptyAs;
    else {
      if (!type.startsWith('application/json')) throw new GatewayError(415, 'unsupported_media_type', 'content-type: send application/json', 'content-type');
      const text = await c.req.text();
      try {
        value = JSON.parse(text);
      } catch {
        throw notJson();
      }
      refuseIllFormed(value, text);
    }
    const r = schema.safeParse(value);
    if (!r.success) throw fromZod(r.error, 'invalid_body');
    c.req.addValidatedData('json', r.data as object);
    await next();
  };
}

/**
 * A form-encoded body valid for `schema`, as an object of its fields (the first value of a repeated
 * field). Errors carry `code` (`invalid_param` for a page's form fields).
 */
export function validForm<S extends z.ZodType>(schema: S, code: ErrorCode = 'invalid_param'): MiddlewareHandler<Env, string, Validated<'form', S>> {
  return async (c, next) => {
    const fields: Record<string, string> = {};
    for (const [k, v] of new URLSearchParams(await c.req.text())) if (!Object.hasOwn(fields, k)) fields[k] = v;
    const r = schema.safeParse(fields);
    if (!r.success) throw fromZod(r.error, code);
    c.req.addValidatedData('form', r.data as object);
    await next();
  };
}
