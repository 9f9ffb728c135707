import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPool, withTransaction } from '../../src/adapters/postgres/db.ts';
import { TEST_DATABASE_URL } from '../helpers/env.ts';

/**
 * A backend terminated (pg_terminate_backend, a failover, an idle-session kill) while the service
 * holds its connection between two statements must fail that request, not the process: pg emits
 * the error on the checked-out client, where a missing listener makes it an uncaught exception.
 */
describe('the PostgreSQL pool when backends are terminated', () => {
  const pool = createPool({ connectionString: TEST_DATABASE_URL, max: 4, applicationName: 'flashsale-pool-test' });
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  afterAll(async () => {
    await pool.end();
    await admin.end();
  });

  it('a transaction whose backend is terminated between statements fails alone; the pool serves the next query', async () => {
    await admin.connect();
    let uncaught: unknown = null;
    const onUncaught = (err: unknown) => (uncaught = err);
    process.on('uncaughtException', onUncaught);
    try {
      const attempt = withTransaction(pool, async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('select pg_backend_pid() as pid');
        // The backend dies while this transaction is open and idle, as under a failover.
        await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
        await new Promise((r) => setTimeout(r, 300));
        return tx.query('select 1');
      });
      await expect(attempt).rejects.toThrow();
      expect(uncaught).toBeNull();
      const { rows } = await pool.query<{ one: number }>('select 1 as one');
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
