import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/env.ts';
import { TestService } from '../helpers/service.ts';

/** Runs the real CLI as a separate process, as an operator would. */
function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/flashsale.js', ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const ADMIN_TOKEN = 'simulate-test-admin-token-0123456789';

/** Options that make every buyer with a hold order it and pay. */
const EVERYONE_PAYS = { order: 1, release: 0, pay: 1, fail: 0 };

/** `{ buyers: 400, cartSize: '1:1' }` as `--buyers 400 --cart-size 1:1`. */
const flags = (options: Record<string, string | number>): string[] =>
  Object.entries(options).flatMap(([name, value]) => [
    `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    String(value),
  ]);

/** The ids of the products a report names. */
const productIds = (report: { products: { id: number }[] }): number[] => report.products.map((p) => p.id);

describe('flashsale simulate', () => {
  /** Holds last 2 s, so that the runs that abandon some can wait for them to expire. */
  let svc: TestService;
  /**
   * Holds last the default 2 minutes: the runs where every buyer orders count on no hold expiring
   * before its order, which 2 s does not promise on a loaded machine.
   */
  let paying: TestService;
  beforeAll(async () => {
    [svc, paying] = await Promise.all([
      TestService.start({ holdTtlSeconds: 2, sweepIntervalMs: 200, env: { ADMIN_TOKEN } }),
      TestService.start({ env: { ADMIN_TOKEN } }),
    ]);
  });
  afterAll(() => Promise.all([svc.close(), paying.close()]));

  /**
   * Runs `simulate --json` against the test service, with the database and Redis that `check` reads
   * (and ADMIN_TOKEN when it must create products), and returns its report once it exited 0 with
   * the verdict `pass`.
   */
  async function simulate(options: Record<string, string | number>, opts: { admin?: boolean; on?: TestService } = {}) {
    const target = opts.on ?? svc;
    const { code, stdout, stderr } = await runCli(['simulate', '--url', target.url, ...flags(options), '--json'], {
      ...(opts.admin ? { ADMIN_TOKEN } : {}),
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: target.config.REDIS_PREFIX,
    });
    // On failure, the report's checks say which invariant failed.
    expect(code, `${stderr}\n${stdout}`).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.verdict).toBe('pass');
    return report;
  }

  it('plays 400 buyers against 2 products of 40 units, sells out, and every invariant passes once holds settle', async () => {
    const products = [await svc.createProduct(40), await svc.createProduct(40)];
    const report = await simulate({
      products: products.join(','),
      buyers: 400,
      concurrency: 32,
      quantities: '1:3,2:1',
      settle: 15,
    });
    expect(report.checks.map((c: { ok: boolean }) => c.ok)).toEqual([true, true, true, true, true]);
    expect(report.sold_out_s).toBeGreaterThan(0);
    const o = report.outcomes;
    expect(o.buyers).toBe(400);
    expect(o.holds_granted + o.holds_refused_no_stock).toBe(400);
    expect(o.ordered + o.released + o.abandoned + o.order_refused).toBe(o.holds_granted);
    const holds = report.endpoints.find((e: { endpoint: string }) => e.endpoint === 'POST /api/holds');
    expect(holds.requests).toBe(400);
    expect(holds.statuses['201']).toBe(o.holds_granted);
    // What the report says is what the database says.
    const { rows } = await svc.rt.pool.query(
      `select count(*)::int as n, count(*) filter (where h.status = 'active')::int as active
         from holds h join hold_lines l on l.hold_id = h.id where l.product_id = any($1)`,
      [products],
    );
    expect(rows[0]).toEqual({ n: o.holds_granted, active: 0 });
    await svc.expectInvariants(products);
  });

  it('creates its products through the admin API with ADMIN_TOKEN and sells them out', async () => {
    const report = await simulate(
      { create: 3, stock: 20, buyers: 200, quantities: 1, ...EVERYONE_PAYS },
      { admin: true, on: paying },
    );
    expect(report.products).toHaveLength(3);
    // Everyone who got a hold ordered and paid: exactly the 60 units on offer are sold.
    expect(
      report.products.map((p: { stock_on_offer: number; available_after: number }) => [p.stock_on_offer, p.available_after]),
    ).toEqual([
      [20, 0],
      [20, 0],
      [20, 0],
    ]);
    expect(report.outcomes).toMatchObject({ holds_granted: 60, holds_refused_no_stock: 140, ordered: 60, paid: 60 });
    const ids = productIds(report);
    const { rows } = await paying.rt.pool.query(
      `select count(*)::int as n from orders o join order_lines l on l.order_id = o.id
        where l.product_id = any($1) and o.payment_status = 'paid'`,
      [ids],
    );
    expect(rows[0].n).toBe(60);
    await paying.expectInvariants(ids);
  });

  it('--customers: 400 buyers as 20 customers on products limited to 2 each; nobody gets more, and it says the most', async () => {
    const report = await simulate(
      { create: 2, stock: 100, maxPerCustomer: 2, customers: 20, buyers: 400, concurrency: 32, quantities: 1, ...EVERYONE_PAYS },
      { admin: true, on: paying },
    );
    // 20 customers, 2 units each of each of 2 products: 80 units, whatever the interleaving.
    expect(report.outcomes).toMatchObject({ customers: 20, most_units_per_customer: 2, holds_granted: 80, paid: 80 });
    expect(report.outcomes.holds_granted + report.outcomes.holds_refused_by_rules).toBe(400);
    expect(report.checks.filter((c: { name: string }) => c.name.startsWith('limit per customer'))).toHaveLength(2);
    const ids = productIds(report);
    const { rows } = await paying.rt.pool.query(
      `select count(distinct o.customer_id)::int as customers, max(n)::int as most from (
         select o.customer_id, l.product_id, sum(l.quantity) as n from orders o join order_lines l on l.order_id = o.id
          where l.product_id = any($1) group by 1, 2) o`,
      [ids],
    );
    expect(rows[0]).toEqual({ customers: 20, most: 2 });
    await paying.expectInvariants(ids);
  });

  it('refuses bad options with a message and exit status 1', async () => {
    const { code, stderr } = await runCli(['simulate', '--buyers', 'many'], {});
    expect(code).toBe(1);
    expect(stderr).toContain('--buyers must be a positive integer');
  });

  it('--cart-size mixes carts of 1-3 distinct products: all or nothing, and every invariant passes', async () => {
    const products = [await svc.createProduct(30), await svc.createProduct(30), await svc.createProduct(30)];
    const report = await simulate({
      products: products.join(','),
      buyers: 200,
      concurrency: 32,
      cartSize: '1:1,2:1,3:1',
      settle: 15,
    });
    expect(report.checks.map((c: { ok: boolean }) => c.ok)).toEqual([true, true, true, true, true, true]);
    const o = report.outcomes;
    expect(o.holds_granted + o.holds_refused_no_stock).toBe(200);
    // The database has the carts the report counted, line for line, and several have more than one.
    const { rows } = await svc.rt.pool.query(
      `select count(distinct h.id)::int as holds, count(*)::int as lines, count(distinct h.id) filter (where n.lines > 1)::int as carts
         from holds h join hold_lines l on l.hold_id = h.id
         join (select hold_id, count(*) as lines from hold_lines group by hold_id) n on n.hold_id = h.id
        where l.product_id = any($1)`,
      [products],
    );
    expect(rows[0]).toMatchObject({ holds: o.holds_granted, lines: o.cart_lines_granted });
    expect(rows[0].carts).toBeGreaterThan(0);
    await svc.expectInvariants(products);
  });

  it('refuses a cart size larger than the products it may use', async () => {
    const { code, stderr } = await runCli(['simulate', '--url', svc.url, '--products', '1,2', '--cart-size', '3'], {});
    expect(code).toBe(1);
    expect(stderr).toMatch(/--cart-size 3 needs at least 3 distinct products/);
  });
});
