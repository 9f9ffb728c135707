import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/adapters/postgres/migrate.ts';
import { TEST_DATABASE_NAME, TEST_PG_SERVER } from './env.ts';

export interface OwnDatabase {
  url: string;
  drop(): Promise<void>;
}

/**
 * A migrated database of its own, for a test whose process-wide effects (a sweeper that expires
 * every overdue hold, metrics counted per process) must not meet the holds other test files left in
 * the shared test database.
 */
export async function createOwnDatabase(label: string): Promise<OwnDatabase> {
  const name = `${TEST_DATABASE_NAME}_${label}_${randomBytes(3).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: `${TEST_PG_SERVER}/postgres` });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`create database "${name}"`);
  const url = `${TEST_PG_SERVER}/${name}`;
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  return { url, drop: () => admin(`drop database if exists "${name}" with (force)`) };
}
