import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createPool } from '../../src/adapters/postgres/db.ts';
import { migrate } from '../../src/adapters/postgres/migrate.ts';
import { insertProduct } from '../../src/adapters/postgres/products.ts';

/**
 * Where the benchmark runs: a PostgreSQL server (it creates and drops its own database there) and
 * a Redis database (it only touches keys under its own random prefix, and deletes them at the end).
 */
export interface BenchEnv {
  databaseUrl: string;
  databaseName: string;
  redisUrl: string;
  prefix: string;
  pool: pg.Pool;
  redis: Redis;
  close(): Promise<void>;
}

export async function createBenchEnv(): Promise<BenchEnv> {
  const server = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
  const name = process.env.BENCH_DATABASE_NAME ?? 'flashsale_bench';
  const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/8';
  const admin = new pg.Client({ connectionString: `${server}/postgres` });
  await admin.connect();
  try {
    await admin.query(`drop database if exists "${name}" with (force)`);
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const databaseUrl = `${server}/${name}`;
  const pool = createPool({ connectionString: databaseUrl, max: 80, applicationName: 'flashsale-bench' });
  await migrate(pool);
  const redis = new Redis(redisUrl);
  const prefix = `bench${randomBytes(3).toString('hex')}:`;
  return {
    databaseUrl,
    databaseName: name,
    redisUrl,
    prefix,
    pool,
    redis,
    async close() {
      await deleteKeys(redis, prefix);
      redis.disconnect();
      await pool.end();
      const cleanup = new pg.Client({ connectionString: `${server}/postgres` });
      await cleanup.connect();
      await cleanup.query(`drop database if exists "${name}" with (force)`).finally(() => cleanup.end());
    },
  };
}

/** Deletes this run's keys only (SCAN by prefix), never the whole database: the Redis may be shared. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

/** A product made the way the service makes one (insert-product.sql), with its `initial` stock movement. */
export async function insertBenchProduct(pool: pg.Pool, stock: number, maxPerCustomer: number | null = null): Promise<number> {
  const product = await insertProduct(pool, {
    name: `bench product ${randomBytes(3).toString('hex')}`,
    price: 10,
    stock,
    maxPerCustomer,
  });
  return product.id;
}
