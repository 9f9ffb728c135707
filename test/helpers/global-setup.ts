import pg from 'pg';
import { migrate } from '../../src/adapters/postgres/migrate.ts';
import { TEST_PG_SERVER } from './env.ts';

/**
 * A fresh, migrated test database for every run of the suite, named for this run: two runs at
 * once on one machine (one file while the whole suite runs) must not drop each other's database
 * mid-test. The test processes start after this and read the name from TEST_DATABASE_NAME
 * (helpers/env.ts); the database is dropped when the run ends.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const name = process.env.TEST_DATABASE_NAME ?? `flashsale_test_${process.pid}`;
  process.env.TEST_DATABASE_NAME = name;
  const admin = async (statement: string): Promise<void> => {
    const client = new pg.Client({ connectionString: `${TEST_PG_SERVER}/postgres` });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`drop database if exists "${name}" with (force)`);
  await admin(`create database "${name}"`);
  const pool = new pg.Pool({ connectionString: `${TEST_PG_SERVER}/${name}`, max: 1 });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  return () => admin(`drop database if exists "${name}" with (force)`);
}
