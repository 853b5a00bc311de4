/**
 * The gateway's Hono environment, in a module of its own (as Hono keeps its types in
 * `src/types.ts`), so routes can name it without importing the composition root.
 */

/** What every request carries: `html` is set by routes that answer errors as a page. */
export interface Env {
  Variables: { html: boolean };
}
