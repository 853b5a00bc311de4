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
      try {
        value = JSON.parse(await c.req.text());
      } catch {
        throw notJson();
      }
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
