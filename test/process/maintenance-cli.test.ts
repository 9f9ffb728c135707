import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stockKey } from '../../src/adapters/redis/stock-mirror.ts';
import { runCli } from '../helpers/cli.ts';
import { TEST_DATABASE_NAME, TEST_PG_SERVER, TEST_REDIS_URL } from '../helpers/env.ts';

// A database of its own: `check` looks at every product, so no other test's products may be there.
const DB_NAME = `${TEST_DATABASE_NAME}_cli`;
const PREFIX = `cli${randomBytes(4).toString('hex')}:`;
const env = { DATABASE_URL: `${TEST_PG_SERVER}/${DB_NAME}`, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: PREFIX, LOG_LEVEL: 'warn' };

async function onServer(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: `${TEST_PG_SERVER}/postgres` });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

describe('flashsale migrate, seed, check and reconcile as processes', () => {
  let pool: pg.Pool;
  let redis: Redis;
  beforeAll(async () => {
    await onServer(`drop database if exists "${DB_NAME}" with (force)`);
    await onServer(`create database "${DB_NAME}"`);
    pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 2 });
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${PREFIX}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await pool.end();
    await onServer(`drop database if exists "${DB_NAME}" with (force)`);
  });

  it('migrates and seeds an empty database; then every invariant holds (exit 0)', async () => {
    const migrated = await runCli(['migrate'], env);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toMatch(/Applied \d+ migration\(s\): 001_core\.sql/);
    const seeded = await runCli(['seed'], env);
    expect(seeded.code, seeded.stderr).toBe(0);
    expect(seeded.stdout).toMatch(/Mirrored the stock of 4 product\(s\) into Redis/);
    const checked = await runCli(['check'], env);
    expect(checked.code, checked.stdout + checked.stderr).toBe(0);
    expect(checked.stdout).toMatch(/All invariants hold for 4 product\(s\)\./);
    expect(checked.stdout).toMatch(/product\s+total\s+available\s+held\s+ordered\s+redis\s+ok/);
  });

  it('check exits 1 on mirror drift; reconcile repairs it and reports it; check exits 0 again', async () => {
    await redis.set(stockKey(PREFIX, 2), '7');
    await redis.del(stockKey(PREFIX, 4));
    const drifted = await runCli(['check'], env);
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toMatch(/VIOLATION I2 product 2: mirror holds 7, database says 50/);
    expect(drifted.stdout).toMatch(/VIOLATION I2 product 4: mirror holds nothing, database says 20/);
    expect(drifted.stdout).toMatch(/2 violation\(s\)\./);

    const reconciled = await runCli(['reconcile'], env);
    expect(reconciled.code, reconciled.stderr).toBe(0);
    expect(reconciled.stdout).toMatch(/Reconciled 4 product\(s\); repaired 2\./);
    expect(reconciled.stdout).toMatch(/product 2: mirror differed/);
    expect(reconciled.stdout).toMatch(/product 4: mirror was missing/);
    expect(await redis.get(stockKey(PREFIX, 2))).toBe('50');

    const again = await runCli(['check'], env);
    expect(again.code, again.stdout).toBe(0);
    expect((await runCli(['reconcile'], env)).stdout).toMatch(/repaired 0\./);
  });

  it('check exits 1 when stock leaks in the database, which reconcile cannot hide', async () => {
    // Units vanish from `available` with no hold or order to account for them: I1 breaks.
    await pool.query('update products set available = available - 5, version = version + 1 where id = 3');
    const leaked = await runCli(['check'], env);
    expect(leaked.code).toBe(1);
    expect(leaked.stdout).toMatch(/VIOLATION I1 product 3: available 495 \+ held 0 \+ ordered 0 = 495, total stock is 500/);
    expect((await runCli(['reconcile'], env)).code).toBe(0);
    const stillLeaked = await runCli(['check'], env);
    expect(stillLeaked.code).toBe(1);
    expect(stillLeaked.stdout).toMatch(/VIOLATION I1 product 3/);
    expect(stillLeaked.stdout).not.toMatch(/VIOLATION I2/);

    await pool.query('update products set available = available + 5, version = version + 1 where id = 3');
    expect((await runCli(['reconcile'], env)).code).toBe(0);
    expect((await runCli(['check'], env)).code).toBe(0);
  });

  it('check exits 1 when a customer is past a limit (I8), written into the database behind the service', async () => {
    // Two holds of 2 for one customer on product 4, each taking its stock properly (I1 holds), then
    // a limit of 3 set directly: together they pass it.
    await pool.query(`
      with h as (
        insert into holds (id, customer_id, expires_at)
        values (gen_random_uuid(), 'cus_over', now() + interval '1 hour'), (gen_random_uuid(), 'cus_over', now() + interval '1 hour')
        returning id
      )
      insert into hold_lines (hold_id, product_id, line_no, quantity) select id, 4, 1, 2 from h;
      update products set available = available - 4, version = version + 1, max_per_customer = 3 where id = 4;`);
    expect((await runCli(['reconcile'], env)).code).toBe(0);
    const over = await runCli(['check'], env);
    expect(over.code, over.stdout).toBe(1);
    expect(over.stdout).toMatch(/VIOLATION I8 product 4: customer cus_over has 4, the limit per customer is 3/);
    expect(over.stdout).toMatch(/1 violation\(s\)\./);

    await pool.query('update products set max_per_customer = 4 where id = 4');
    expect((await runCli(['check'], env)).code).toBe(0);
  });

  it('check exits 1 when a hold (I3) or an order (I9) is long past its deadline and nothing ended it', async () => {
    // As if no worker or sweeper had run for ten minutes: a hold of 2 on product 1 that expired
    // then, and an order of 3 on product 2 whose payment was due then (its hold confirmed). Both
    // took their stock properly, so I1 holds.
    await pool.query(`
      with h as (
        insert into holds (id, expires_at, created_at)
        values (gen_random_uuid(), now() - interval '10 minutes', now() - interval '15 minutes') returning id
      )
      insert into hold_lines (hold_id, product_id, line_no, quantity) select id, 1, 1, 2 from h;
      with h as (
        insert into holds (id, status, expires_at, ended_at, ended_by, created_at)
        values (gen_random_uuid(), 'confirmed', now() - interval '14 minutes', now() - interval '14 minutes', 'order',
                now() - interval '15 minutes') returning id
      ), h_lines as (
        insert into hold_lines (hold_id, product_id, line_no, quantity) select id, 2, 1, 3 from h
      ), o as (
        insert into orders (hold_id, amount, currency, payment_due_at, created_at)
        select id, 30, 'USD', now() - interval '10 minutes', now() - interval '14 minutes' from h returning id
      )
      insert into order_lines (order_id, product_id, line_no, quantity, unit_price, amount) select id, 2, 1, 3, 10, 30 from o;
      update products set available = available - 2, version = version + 1 where id = 1;
      update products set available = available - 3, version = version + 1 where id = 2;`);
    expect((await runCli(['reconcile'], env)).code).toBe(0);
    const late = await runCli(['check'], env);
    expect(late.code, late.stdout).toBe(1);
    expect(late.stdout).toMatch(
      /VIOLATION I3 product 1: 1 active hold\(s\) past their expires_at by more than 60 s \(the oldest by 6\d\d s\)/,
    );
    expect(late.stdout).toMatch(
      /VIOLATION I9 product 2: 1 order\(s\) still created past their payment_due_at by more than 60 s \(the oldest by 6\d\d s\)/,
    );
    expect(late.stdout).toMatch(/2 violation\(s\)\./);

    // The sweepers end them (as a worker would), and check is content again.
    await pool.query(
      `update holds set status = 'expired', ended_at = now(), ended_by = 'sweeper' where status = 'active' and expires_at < now()`,
    );
    await pool.query(`update products set available = available + 2, version = version + 1 where id = 1`);
    await pool.query(`update orders set payment_status = 'cancelled', cancelled_by = 'sweeper' where payment_status = 'created'`);
    await pool.query(`update products set available = available + 3, version = version + 1 where id = 2`);
    expect((await runCli(['reconcile'], env)).code).toBe(0);
    const ended = await runCli(['check'], env);
    expect(ended.code, ended.stdout).toBe(0);
  });
});
