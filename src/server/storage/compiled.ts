/**
 * Queries that Kysely builds and compiles once and that then run again with other values. Building
 * and compiling a payment's insert anew on every request cost more than SQLite took to run it; here
 * it is done once, with a stand-in for every value, and each run only puts the values in their
 * places. The SQL is still Kysely's, for the dialect at hand (`?` for SQLite, `$1` for PostgreSQL):
 * both databases keep one code path, and better-sqlite3 reuses the prepared statement (db.ts).
 *
 * @example
 * const byId = compiledQuery(db, ['id'], (v) => db.selectFrom('payments').selectAll().where('id', '=', v.id));
 * const { rows } = await byId({ id: 'pay_…' });
 */
import { CompiledQuery, type Compilable, type Kysely, type QueryResult } from 'kysely';

/** What a stand-in looks like: no real value starts with a NUL. */
const STAND_IN = '\u0000onpay-value:';

type Slot = { name: string } | { value: unknown };

/** Runs a compiled query with `values`, on `on` (a transaction) or else the database it was built on. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any schema, as below
export type CompiledRun<N extends string, R> = (values: Record<N, unknown>, on?: Kysely<any>) => Promise<QueryResult<R>>;

/**
 * `build` gets a stand-in for each of `names` and must pass each to Kysely as a value (in `values`,
 * `set`, `where`), never as SQL text or an identifier: it throws at once otherwise, and when a
 * stand-in did not come out as exactly one parameter in the compiled query.
 */
export function compiledQuery<N extends string, R>(
  db: Kysely<any>, // eslint-disable-line @typescript-eslint/no-explicit-any -- any schema: the query is typed by `build`
  names: readonly N[],
  build: (v: Record<N, never>) => Compilable<R>,
): CompiledRun<N, R> {
  const standIns = Object.fromEntries(names.map((n) => [n, `${STAND_IN}${n}`])) as Record<N, never>;
  const compiled = build(standIns).compile();
  if (compiled.sql.includes(STAND_IN)) throw new Error('compiledQuery: a value was put into the SQL text');
  const slots: Slot[] = compiled.parameters.map((p) => (typeof p === 'string' && p.startsWith(STAND_IN) ? { name: p.slice(STAND_IN.length) } : { value: p }));
  for (const n of names) {
    const uses = slots.filter((s) => 'name' in s && s.name === n).length;
    if (uses !== 1) throw new Error(`compiledQuery: ${n} became ${uses} parameters, not one`);
  }
  const { sql } = compiled;
  return (values, on = db) => on.executeQuery<R>(CompiledQuery.raw(sql, slots.map((s) => ('name' in s ? values[s.name as N] : s.value))));
}

/**
 * Compiled queries kept by shape (which optional columns a statement sets, say), built on first use.
 * A shape's SQL must not depend on anything but its key and the dialect.
 * @example const update = compiledByShape(); await update(key, db, names, build)(values, trx)
 */
export function compiledByShape(): <N extends string, R>(
  shape: string,
  db: Kysely<any>, // eslint-disable-line @typescript-eslint/no-explicit-any -- as compiledQuery
  names: readonly N[],
  build: (v: Record<N, never>) => Compilable<R>,
) => CompiledRun<N, R> {
  const cache = new Map<string, CompiledRun<string, unknown>>();
  return <N extends string, R>(shape: string, db: Kysely<any>, names: readonly N[], build: (v: Record<N, never>) => Compilable<R>) => { // eslint-disable-line @typescript-eslint/no-explicit-any -- as compiledQuery
    let run = cache.get(shape);
    if (!run) {
      run = compiledQuery(db, names, build) as CompiledRun<string, unknown>;
      cache.set(shape, run);
    }
    return run as CompiledRun<N, R>;
  };
}
