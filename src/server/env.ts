/**
 * The gateway's Hono environment, in a module of its own (as Hono keeps its types in
 * `src/types.ts`), so routes can name it without importing the composition root.
 */

/**
 * What every request carries: `html` is set by routes that answer errors as a page; `clientIp` is the
 * client's address after `trustProxy` (client-address.ts); `client` is the key rate limits count it
 * under (an IPv6 address by its /64). Both undefined with no connection.
 */
export interface Env {
  Variables: { html: boolean; client: string | undefined; clientIp: string | undefined };
}
