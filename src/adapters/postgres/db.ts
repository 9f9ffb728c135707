import { readFileSync } from 'node:fs';
import pg from 'pg';
import { ServiceUnavailableError } from '../../domain/errors.ts';
import { OutageLog, type OutageLogger } from '../outage-log.ts';

// int8 (ids, sums, versions) as numbers: every value this service stores fits in 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));

export type Pool = pg.Pool;
/** A client checked out of the pool, inside a transaction. */
export type Tx = pg.PoolClient;
export type Db = pg.Pool | pg.PoolClient;

export interface PoolOptions {
  connectionString: string;
  max: number;
  applicationName?: string;
  /** Where lost connections are reported, once per outage. Without it (a one-off command's pool) the
   * failing query reports the failure. */
  log?: OutageLogger;
}

export function createPool(opts: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: opts.connectionString,
    max: opts.max,
    application_name: opts.applicationName ?? 'flashsale',
    connectionTimeoutMillis: 5_000,
    // A statement stuck behind a lock for this long is a fault, not a queue.
    statement_timeout: 15_000,
    idle_in_transaction_session_timeout: 30_000,
  });
  const outage = opts.log ? new OutageLog(opts.log, 'PostgreSQL') : null;
  // An idle client's error reaches both its own listener and the pool's: count it once.
  const seen = new WeakSet<Error>();
  const lost = (err: Error): void => {
    if (seen.has(err)) return;
    seen.add(err);
    outage?.failed(err);
  };
  // An idle client whose backend dies emits here; without a listener it would crash the process.
  pool.on('error', lost);
  pool.on('connect', (client) => {
    outage?.recovered();
    // A checked-out client has no pool listener: when its backend dies between two statements
    // (pg_terminate_backend, failover) the error is emitted on the client and would crash the
    // process. Its next query fails instead, and the transaction releases it as broken.
    client.on('error', lost);
    rejectAsUnavailable(client, 'query');
  });
  rejectAsUnavailable(pool, 'query');
  rejectAsUnavailable(pool, 'connect');
  return pool;
}

/**
 * pg's own failures (connection refused, lost or timed out) are plain errors told apart only by
 * their text; the server's are pg.DatabaseError with a SQLSTATE. The former become
 * ServiceUnavailableError here, where the driver is known; the latter keep their code, which
 * decides retries (withTransaction) and answers (40001, 57P01, 23505...).
 */
export function asUnavailable(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof pg.DatabaseError || err instanceof TypeError) return err;
  if (err instanceof ServiceUnavailableError) return err;
  return new ServiceUnavailableError('PostgreSQL', err);
}

/** Wraps a promise-returning method so its rejections pass through asUnavailable. The callback and
 * submittable forms (pg-pool uses them internally) are left as they are. */
function rejectAsUnavailable(target: object, method: 'query' | 'connect'): void {
  const methods = target as Record<string, (...args: unknown[]) => unknown>;
  const original = methods[method]?.bind(target);
  if (!original) throw new Error(`pg has no ${method} method to wrap`);
  methods[method] = (...args: unknown[]) => {
    const result = original(...args);
    return result instanceof Promise
      ? result.catch((err: unknown) => {
          throw asUnavailable(err);
        })
      : result;
  };
}

const SQL_DIR = new URL('./sql/', import.meta.url);
/** Loads one SQL operation from sql/<name>.sql, once, at module load. */
export const sql = (name: string): string => readFileSync(new URL(`${name}.sql`, SQL_DIR), 'utf8');

/** Serialization failures and deadlocks: the transaction did nothing and can simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);

/**
 * Runs `fn` in a transaction on one client. Commits when it resolves, rolls back when it throws.
 * A serialization failure or deadlock is retried a few times; everything else is re-thrown.
 */
export async function withTransaction<T>(
  pool: pg.Pool,
  fn: (tx: pg.PoolClient) => Promise<T>,
  opts: { isolation?: 'read committed' | 'repeatable read'; retries?: number } = {},
): Promise<T> {
  const retries = opts.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    const client = await pool.connect();
    let broken = false;
    try {
      await client.query(`begin isolation level ${opts.isolation ?? 'read committed'}`);
      const result = await fn(client);
      await client.query('commit');
      return result;
    } catch (err) {
      await client.query('rollback').catch(() => {
        broken = true;
      });
      const code = (err as { code?: string }).code;
      if (attempt < retries && code !== undefined && RETRYABLE.has(code)) continue;
      throw err;
    } finally {
      client.release(broken);
    }
  }
}
