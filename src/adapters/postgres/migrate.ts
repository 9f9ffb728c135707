import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
// Any constant works: it only has to be the same for every process that migrates this database.
const MIGRATION_LOCK_ID = 7_301_112_2024;

/**
 * Applies every numbered `.sql` file in migrations/ that has not run yet, each in its own
 * transaction, under an advisory lock so that several processes starting at once migrate once.
 * `upTo` (a number such as '002') stops after that migration, for tests that build a database as
 * an earlier version left it. `currency` (the service's CURRENCY) is what products created before
 * currencies existed are priced in. Returns the names of the files it applied.
 */
export async function migrate(pool: pg.Pool, opts: { upTo?: string; currency?: string } = {}): Promise<string[]> {
  const files = (await readdir(MIGRATIONS_DIR))
    .filter((f) => /^\d+_.+\.sql$/.test(f))
    .filter((f) => opts.upTo === undefined || (f.split('_')[0] ?? '') <= opts.upTo)
    .sort();
  const client = await pool.connect();
  const applied: string[] = [];
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    if (opts.currency) await client.query("select set_config('flashsale.currency', $1, false)", [opts.currency]);
    await client.query(`create table if not exists schema_migrations (
      name text primary key, applied_at timestamptz not null default now())`);
    const { rows } = await client.query<{ name: string }>('select name from schema_migrations');
    const done = new Set(rows.map((r) => r.name));
    for (const file of files) {
      if (done.has(file)) continue;
      const text = await readFile(MIGRATIONS_DIR + file, 'utf8');
      await client.query('begin');
      try {
        await client.query(text);
        await client.query('insert into schema_migrations (name) values ($1)', [file]);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback');
        throw new Error(`migration ${file} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(file);
    }
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]).catch(() => {});
    client.release();
  }
  return applied;
}
