import type { Redis } from 'ioredis';
import type pg from 'pg';
import { BullMqExpiryScheduler } from '../../src/adapters/expiry/bullmq-scheduler.ts';
import { autocannonLoad, type Measurement } from '../lib/measure.ts';
import { startProcess } from '../lib/processes.ts';
import { insertBenchProduct } from '../lib/setup.ts';

export interface ExpiryResults {
  holds: number;
  /** The first hold's lag: how late the first job (or sweep) came. */
  first: number;
  p50: number;
  p99: number;
  max: number;
  drainedSeconds: number;
  byPath: Record<string, number>;
  /** Hold traffic on another product while the expiries drain. */
  holdsDuringStorm: Measurement;
}

interface Env {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  pool: pg.Pool;
  queueRedis: Redis;
}

/**
 * `n` holds on one product expiring at the same instant, each with its BullMQ job (as placeHold
 * schedules it), processed by one `flashsale worker` process. Lag is ended_at - expires_at, both
 * written by the database clock. Meanwhile the API keeps selling another product.
 */
export async function expiryStorm(env: Env, apiUrl: string, n: number, stormSeconds: number): Promise<ExpiryResults> {
  const scheduler = new BullMqExpiryScheduler(env.queueRedis, `${env.prefix}bull`);
  const worker = startProcess(['bin/flashsale.js', 'worker'], {
    DATABASE_URL: env.databaseUrl,
    REDIS_URL: env.redisUrl,
    REDIS_PREFIX: env.prefix,
    LOG_LEVEL: 'warn',
  });
  try {
    await until(
      async () => (await scheduler.queue.getWorkers()).length > 0,
      30_000,
      () => worker.stderr(),
    );
    const productId = await insertBenchProduct(env.pool, 2 * n);
    const busyProduct = await insertBenchProduct(env.pool, 10_000_000);
    // Time to insert the holds and add their jobs, generous for a loaded machine (3.5 s was not).
    const leadMs = 2_000 + n;
    const { rows } = await env.pool.query<{ id: string; expires_at: Date }>(
      `with p as (update products set available = available - $2, version = version + 1 where id = $1 returning id),
            t as (select now() + make_interval(secs => $3::double precision) as at),
            h as (insert into holds (expires_at) select t.at from p, t, generate_series(1, $2::int) returning id, expires_at),
            l as (insert into hold_lines (hold_id, product_id, line_no, quantity) select h.id, $1, 1, 1 from h)
       select id, expires_at from h`,
      [productId, n, leadMs / 1000],
    );
    // How far off the instant is by the database clock, read after the insert (which takes a while).
    const { rows: ahead } = await env.pool.query<{ ms: number }>(
      'select (extract(epoch from $1::timestamptz - clock_timestamp()) * 1000)::float8 as ms',
      [rows[0]!.expires_at],
    );
    const dueAt = Date.now() + ahead[0]!.ms;
    // Each delay is taken when its job is added, as placeHold takes it: a delay read at the insert
    // and applied after seconds of adding jobs on a loaded machine would make the jobs fire late.
    for (let i = 0; i < rows.length; i += 1_000) {
      const delay = Math.max(0, dueAt - Date.now());
      await scheduler.queue.addBulk(
        rows.slice(i, i + 1_000).map((r) => ({ name: 'expire', data: { holdId: r.id }, opts: { jobId: r.id, delay } })),
      );
    }
    const scheduledLeadMs = dueAt - Date.now();
    if (scheduledLeadMs < 0) throw new Error(`expiry bench: the jobs were added ${-scheduledLeadMs} ms after the holds fell due`);
    // The selling starts a second before the instant and goes on through the drain.
    await new Promise((r) => setTimeout(r, scheduledLeadMs - 1_000));
    const storm = autocannonLoad({
      url: `${apiUrl}/api/holds`,
      method: 'POST',
      body: { product_id: busyProduct, quantity: 1 },
      connections: 16,
      seconds: stormSeconds,
      expectStatus: 201,
    });
    const active = async () =>
      (
        await env.pool.query<{ n: number }>(
          `select count(*)::int as n from holds h join hold_lines l on l.hold_id = h.id
            where l.product_id = $1 and h.status = 'active'`,
          [productId],
        )
      ).rows[0]!.n;
    await until(
      async () => (await active()) === 0,
      120_000,
      () => worker.stderr(),
    );
    const drainedSeconds = (Date.now() - dueAt) / 1000;
    const holdsDuringStorm = await storm;
    const stats = await env.pool.query<{ first: number; p50: number; p99: number; max: number }>(
      `select min(lag) as first, percentile_cont(0.5) within group (order by lag) as p50,
              percentile_cont(0.99) within group (order by lag) as p99, max(lag) as max
         from (select extract(epoch from h.ended_at - h.expires_at) * 1000 as lag
                 from holds h join hold_lines l on l.hold_id = h.id where l.product_id = $1) l`,
      [productId],
    );
    const paths = await env.pool.query<{ ended_by: string; n: number }>(
      `select h.ended_by, count(*)::int as n from holds h join hold_lines l on l.hold_id = h.id
        where l.product_id = $1 group by h.ended_by`,
      [productId],
    );
    const s = stats.rows[0]!;
    return {
      holds: n,
      first: Number(s.first),
      p50: Number(s.p50),
      p99: Number(s.p99),
      max: Number(s.max),
      drainedSeconds,
      byPath: Object.fromEntries(paths.rows.map((r) => [r.ended_by, r.n])),
      holdsDuringStorm,
    };
  } finally {
    await worker.stop();
    await scheduler.close();
  }
}

async function until(probe: () => Promise<boolean>, timeoutMs: number, context: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`expiry bench: condition not met in ${timeoutMs} ms. ${context()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
