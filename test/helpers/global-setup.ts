import pg from 'pg';
import { migrate } from '../../src/adapters/postgres/migrate.ts';
import { TEST_DATABASE_NAME, TEST_DATABASE_URL, TEST_PG_SERVER } from './env.ts';

/** A fresh, migrated test database for every run of the suite. */
export default async function setup(): Promise<void> {
  const admin = new pg.Client({ connectionString: `${TEST_PG_SERVER}/postgres` });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${TEST_DATABASE_NAME}" with (force)`);
    await admin.query(`create database "${TEST_DATABASE_NAME}"`);
  } finally {
    await admin.end();
  }
  const pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
}
