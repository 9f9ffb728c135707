import { parseArgs } from 'node:util';
import { createPool } from '../adapters/postgres/db.ts';
import { createRedis, redisReady, redisTarget } from '../adapters/redis/client.ts';
import { RedisStockMirror } from '../adapters/redis/stock-mirror.ts';
import { checkInvariants } from '../app/reconcile.ts';
import type { StockMirror } from '../app/ports.ts';
import { ConfigError, type Config } from '../config.ts';
import { playSale, RecordingClient, type HoldRecord, type SalePlan } from './simulate-load.ts';
import { progressBar, renderSummary, summarizeEndpoints, type Check, type SimulationSummary } from './simulate-report.ts';
import { present } from '../domain/present.ts';

export const SIMULATE_HELP = `Usage: flashsale simulate [options]

Plays a flash sale against a running service and checks the invariants afterwards.

  --url <url>            the service (default http://127.0.0.1:3000)
  --buyers <n>           buyers in total (default 1000)
  --concurrency <n>      buyers at a time, one connection each (default 64)
  --products <ids>       existing product ids, comma-separated (default 1)
  --create <n>           create n products through the admin API instead (needs ADMIN_TOKEN)
  --stock <n>            stock of each created product (default 100)
  --max-per-customer <n> limit per customer of each created product (default: none)
  --customers <n>        buyers hold as n customers, reusing their ids (buyer i is customer i mod n);
                         reports the most units any customer got of a product (default: no customer)
  --quantities <mix>     quantity:weight list, per line (default 1:80,2:15,3:5)
  --cart-size <mix>      lines per hold, size:weight list (default 1: one product per hold);
                         e.g. 1:60,2:30,3:10 mixes carts of distinct products, at most --products
  --order <share>        of buyers who got a hold, share who order (default 0.7)
  --release <share>      share who release their hold (default 0.1); the rest abandon it
  --pay <share>          of orders, share paid by webhook (default 0.8)
  --fail <share>         share whose payment fails (default 0.1); the rest stay unpaid
  --settle <seconds>     wait up to this long for abandoned holds to expire, then check that
                         every hold is final (default 0: live holds are reported, not checked)
  --json                 print one JSON document instead of the tables

With DATABASE_URL (and REDIS_URL or REDIS_CLUSTER_NODES, REDIS_PREFIX) set, the stock equation and
Redis = database are checked as \`flashsale check\` does; without Redis the database is compared with what the
service's GET /api/products/{id} reports. WEBHOOK_SECRET signs the payment webhooks.
Exit status: 0 when no invariant failed, 1 when one did (or on bad usage).`;

const OPTIONS = {
  url: { type: 'string', default: 'http://127.0.0.1:3000' },
  buyers: { type: 'string', default: '1000' },
  concurrency: { type: 'string', default: '64' },
  products: { type: 'string', default: '1' },
  create: { type: 'string' },
  stock: { type: 'string', default: '100' },
  'max-per-customer': { type: 'string' },
  customers: { type: 'string' },
  quantities: { type: 'string', default: '1:80,2:15,3:5' },
  'cart-size': { type: 'string', default: '1' },
  order: { type: 'string', default: '0.7' },
  release: { type: 'string', default: '0.1' },
  pay: { type: 'string', default: '0.8' },
  fail: { type: 'string', default: '0.1' },
  settle: { type: 'string', default: '0' },
  json: { type: 'boolean', default: false },
} as const;

const usageError = (msg: string) => new ConfigError(`simulate: ${msg}\n\n${SIMULATE_HELP}`);

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw usageError(`--${name} must be a positive integer (got "${v}")`);
  return n;
}
function share(name: string, v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw usageError(`--${name} must be between 0 and 1 (got "${v}")`);
  return n;
}

export async function simulate(config: Config, args: string[]): Promise<number> {
  const { values: o } = parseArgs({ args, options: OPTIONS, strict: true });
  const mix = (name: string, value: string) =>
    value.split(',').map((part) => {
      const [n, w = '1'] = part.split(':');
      return [positiveInt(name, n ?? ''), Number(w)] as [number, number];
    });
  const quantityMix = mix('quantities', o.quantities);
  const cartSizeMix = mix('cart-size', o['cart-size']);
  if (cartSizeMix.some(([size]) => size > 50)) throw usageError('--cart-size must not exceed 50 lines');
  const plan: SalePlan = {
    url: o.url.replace(/\/$/, ''),
    buyers: positiveInt('buyers', o.buyers),
    concurrency: positiveInt('concurrency', o.concurrency),
    productIds: [],
    quantityMix,
    cartSizeMix,
    orderShare: share('order', o.order),
    releaseShare: share('release', o.release),
    payShare: share('pay', o.pay),
    failShare: share('fail', o.fail),
    webhookSecret: config.WEBHOOK_SECRET?.split(/[\s,]+/)[0],
    ...(o.customers === undefined ? {} : { customers: positiveInt('customers', o.customers) }),
  };
  const maxPerCustomer = o['max-per-customer'] === undefined ? null : positiveInt('max-per-customer', o['max-per-customer']);
  if (maxPerCustomer !== null && !o.create) throw usageError('--max-per-customer applies to the products --create makes');
  if (plan.orderShare + plan.releaseShare > 1) throw usageError('--order plus --release must not exceed 1');
  if (plan.payShare + plan.failShare > 1) throw usageError('--pay plus --fail must not exceed 1');

  const admin = new RecordingClient(plan.url, 16);
  try {
    plan.productIds = o.create
      ? await createProducts(admin, config, positiveInt('create', o.create), positiveInt('stock', o.stock), maxPerCustomer)
      : o.products.split(',').map((id) => positiveInt('products', id));
    const largest = Math.max(...cartSizeMix.map(([size]) => size));
    if (largest > new Set(plan.productIds).size)
      throw usageError(`--cart-size ${largest} needs at least ${largest} distinct products (got ${plan.productIds.length})`);
    const onOffer = new Map<number, number>();
    const limits = new Map<number, number | null>();
    for (const id of plan.productIds) {
      const product = await readProduct(admin, id);
      onOffer.set(id, product.available);
      limits.set(id, product.maxPerCustomer);
    }
    const stockOnOffer = [...onOffer.values()].reduce((a, b) => a + b, 0);

    const bar = progressBar(plan.buyers);
    const sale = await playSale(plan, stockOnOffer, (done) => bar.update(done));
    bar.end();

    const settleSeconds = Number(o.settle);
    if (!(settleSeconds >= 0)) throw usageError(`--settle must be a number of seconds (got "${o.settle}")`);
    const settleUntil = Date.now() + settleSeconds * 1000;
    const statuses = await settleHolds(admin, sale.holds, settleUntil);
    const after = new Map<number, number | null>();
    for (const id of plan.productIds) after.set(id, await availableStock(admin, id).catch(() => null));
    const mostPerCustomer = plan.customers ? mostUnitsPerCustomer(sale.holds, statuses) : null;
    const checks = [
      ...accountingChecks(sale.holds, statuses, onOffer, after),
      ...(mostPerCustomer ? limitChecks(mostPerCustomer, limits) : []),
      ...(await databaseChecks(config, plan)),
    ];
    const summary: SimulationSummary = {
      url: plan.url,
      buyers: plan.buyers,
      concurrency: plan.concurrency,
      products: plan.productIds.map((id) => ({
        id,
        stock_on_offer: present(onOffer.get(id), `stock on offer of product ${id}`),
        available_after: after.get(id) ?? null,
      })),
      elapsed_s: (sale.endedAt - sale.startedAt) / 1000,
      sold_out_s: sale.soldOutMs === null ? null : sale.soldOutMs / 1000,
      endpoints: summarizeEndpoints(sale),
      outcomes: {
        ...outcomes(sale.holds, sale.refusedForStock, plan.buyers),
        holds_refused_by_rules: sale.refusedByRules,
        ...(mostPerCustomer
          ? {
              customers: present(plan.customers, 'customers'),
              most_units_per_customer: Math.max(0, ...[...mostPerCustomer.values()].map((m) => m.units)),
            }
          : {}),
      },
      checks,
      verdict: checks.some((c) => c.ok === false) ? 'fail' : checks.some((c) => c.ok === null) ? 'incomplete' : 'pass',
    };
    process.stdout.write(o.json ? `${JSON.stringify(summary, null, 2)}\n` : renderSummary(summary));
    return summary.verdict === 'fail' ? 1 : 0;
  } finally {
    await admin.close();
  }
}

async function createProducts(
  http: RecordingClient,
  config: Config,
  n: number,
  stock: number,
  maxPerCustomer: number | null,
): Promise<number[]> {
  if (!config.ADMIN_TOKEN) throw usageError("--create needs ADMIN_TOKEN (the service's admin token) in the environment");
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await http.call(
      'POST /api/admin/products',
      'POST',
      '/api/admin/products',
      {
        name: `Simulated flash sale item ${i + 1}`,
        price: 9.99,
        stock,
        ...(maxPerCustomer === null ? {} : { max_per_customer: maxPerCustomer }),
      },
      { authorization: `Bearer ${config.ADMIN_TOKEN}` },
    );
    const id = res.body?.id ?? res.body?.product_id;
    if (res.status !== 201 || typeof id !== 'number')
      throw new Error(`could not create a product: ${res.status} ${JSON.stringify(res.body)}`);
    ids.push(id);
  }
  return ids;
}

async function readProduct(http: RecordingClient, id: number): Promise<{ available: number; maxPerCustomer: number | null }> {
  const res = await http.call('GET /api/products/{id}', 'GET', `/api/products/${id}`);
  if (res.status !== 200) throw new Error(`product ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    available: present(res.body?.available_stock, `available_stock of product ${id}`),
    maxPerCustomer: res.body?.max_per_customer ?? null,
  };
}

/**
 * Per product, the customer with the most units as the limit counts them (active holds plus orders
 * not failed), from what the service reported after the sale.
 */
function mostUnitsPerCustomer(
  holds: HoldRecord[],
  statuses: Map<string, { status: string; payment?: string }>,
): Map<number, { customerId: string; units: number }> {
  const units = new Map<string, number>();
  for (const h of holds) {
    const s = statuses.get(h.id);
    const counts = s?.status === 'active' || (s?.status === 'confirmed' && (s.payment === 'created' || s.payment === 'paid'));
    if (!counts || !h.customerId) continue;
    for (const l of h.lines) {
      const key = `${l.productId} ${h.customerId}`;
      units.set(key, (units.get(key) ?? 0) + l.quantity);
    }
  }
  const most = new Map<number, { customerId: string; units: number }>();
  for (const [key, n] of units) {
    const [product = '', customerId = ''] = key.split(' ');
    const productId = Number(product);
    if ((most.get(productId)?.units ?? 0) < n) most.set(productId, { customerId, units: n });
  }
  return most;
}

/** I8 as the run saw it: no customer past a product's limit. */
function limitChecks(most: Map<number, { customerId: string; units: number }>, limits: Map<number, number | null>): Check[] {
  return [...limits].flatMap(([id, limit]) => {
    if (limit === null) return [];
    const top = most.get(id);
    return [
      {
        name: `limit per customer, product ${id}`,
        ok: (top?.units ?? 0) <= limit,
        detail: `most units of one customer ${top ? `${top.units} (${top.customerId})` : '0'}, limit ${limit}`,
      },
    ];
  });
}

async function availableStock(http: RecordingClient, id: number): Promise<number> {
  const res = await http.call('GET /api/products/{id}', 'GET', `/api/products/${id}`);
  if (res.status !== 200) throw new Error(`product ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  return present(res.body?.available_stock, `available_stock of product ${id}`);
}

/** Each hold's status (and its order's payment) as the service reports it, waiting for expiries up to `until`. */
async function settleHolds(http: RecordingClient, holds: HoldRecord[], until: number) {
  const result = new Map<string, { status: string; payment?: string }>();
  for (;;) {
    let live = 0;
    await Promise.all(
      holds.map(async (h) => {
        const known = result.get(h.id)?.status;
        if (known !== undefined && known !== 'active') return;
        const res = await http.call('GET /api/holds/{id}', 'GET', `/api/holds/${h.id}`);
        const entry: { status: string; payment?: string } = { status: res.body?.status ?? `http ${res.status}` };
        if (h.order)
          entry.payment = (await http.call('GET /api/orders/{id}', 'GET', `/api/orders/${h.order.id}`)).body?.payment_status;
        if (entry.status === 'active') live++;
        result.set(h.id, entry);
      }),
    );
    if (live === 0 || Date.now() >= until) return result;
    await new Promise((r) => setTimeout(r, Math.min(1_000, Math.max(50, until - Date.now()))));
  }
}

function accountingChecks(
  holds: HoldRecord[],
  statuses: Map<string, { status: string; payment?: string }>,
  onOffer: Map<number, number>,
  after: Map<number, number | null>,
): Check[] {
  const checks: Check[] = [];
  const now = Date.now();
  const overdue = holds.filter((h) => statuses.get(h.id)?.status === 'active' && h.expiresAt + 5_000 < now);
  const live = holds.filter((h) => statuses.get(h.id)?.status === 'active' && h.expiresAt + 5_000 >= now);
  checks.push({
    name: 'every hold final',
    ok: overdue.length > 0 ? false : live.length > 0 ? null : true,
    detail:
      overdue.length > 0
        ? `${overdue.length} hold(s) still active more than 5 s after expires_at`
        : live.length > 0
          ? `${live.length} hold(s) still live, due by ${new Date(Math.max(...live.map((h) => h.expiresAt))).toISOString()}; pass --settle to wait`
          : `${holds.length} hold(s) confirmed, released or expired`,
  });
  const wrong = holds.filter((h) => {
    const s = statuses.get(h.id);
    if (h.fate === 'ordered')
      return s?.status !== 'confirmed' || (h.order?.paymentApplied === true && s.payment !== h.order.payment);
    if (h.fate === 'released') return s?.status !== 'released';
    return false;
  });
  checks.push({
    name: 'orders, payments and releases took effect once',
    ok: wrong.length === 0,
    detail:
      wrong.length === 0
        ? 'every acknowledged action is reflected'
        : `${wrong.length} hold(s) differ from what the service acknowledged`,
  });
  const unitsOf = (hs: HoldRecord[], id: number) =>
    hs.flatMap((h) => h.lines).reduce((s, l) => s + (l.productId === id ? l.quantity : 0), 0);
  for (const [id, offered] of onOffer) {
    const held = unitsOf(
      holds.filter((h) => statuses.get(h.id)?.status === 'active'),
      id,
    );
    // Orders failed or cancelled at their payment deadline gave their stock back.
    const ordered = unitsOf(
      holds.filter(
        (h) => statuses.get(h.id)?.status === 'confirmed' && !['failed', 'cancelled'].includes(statuses.get(h.id)?.payment ?? ''),
      ),
      id,
    );
    const available = after.get(id);
    const ok =
      held + ordered <= offered &&
      available !== null &&
      available !== undefined &&
      available >= 0 &&
      available === offered - held - ordered;
    checks.push({
      name: `no oversell, product ${id}`,
      ok,
      detail: `on offer ${offered} = available ${available ?? '?'} + held ${held} + ordered ${ordered}${ok ? '' : ' does NOT hold (another client may also be using this product)'}`,
    });
  }
  return checks;
}

/** `flashsale check` logic on the products of this run, when the database is reachable. */
async function databaseChecks(config: Config, plan: SalePlan): Promise<Check[]> {
  if (!config.DATABASE_URL)
    return [
      {
        name: 'Redis = database',
        ok: null,
        detail: 'not checked: set DATABASE_URL (and REDIS_URL) to compare with the database',
      },
    ];
  const pool = createPool({ connectionString: config.DATABASE_URL, max: 2, applicationName: 'flashsale-simulate' });
  const target = redisTarget(config);
  const redis = target ? createRedis(target) : null;
  const http = redis ? null : new RecordingClient(plan.url, 4);
  const mirror: StockMirror = redis
    ? new RedisStockMirror(redis, config.REDIS_PREFIX)
    : {
        read: (id) => availableStock(present(http, 'HTTP client without Redis'), id),
        write: unsupported,
        writeMany: unsupported,
      };
  try {
    // A cluster client first learns the slot map; reads sent before that would fail at once.
    if (redis) await redisReady(redis).catch(() => {});
    const report = await checkInvariants({ pool, mirror }, plan.productIds).catch((err: Error) => err);
    if (report instanceof Error) {
      return [{ name: 'Redis = database', ok: null, detail: `not checked: the database could not be read (${report.message})` }];
    }
    const source = redis ? 'Redis' : "the service's GET /api/products/{id}";
    return [
      {
        name: `database stock equation and ${source} = database`,
        ok: report.violations.length === 0 && report.figures.length === plan.productIds.length,
        detail:
          report.violations.length === 0
            ? `${report.figures.length} product(s) checked`
            : report.violations.map((v) => `${v.invariant} product ${v.productId}: ${v.message}`).join('; '),
      },
    ];
  } finally {
    redis?.disconnect();
    await http?.close();
    await pool.end();
  }
}

const unsupported = (): never => {
  throw new Error('read-only mirror');
};

function outcomes(holds: HoldRecord[], refused: number, buyers: number): Record<string, number> {
  const count = (f: (h: HoldRecord) => boolean) => holds.filter(f).length;
  return {
    buyers,
    holds_granted: holds.length,
    cart_lines_granted: holds.reduce((n, h) => n + h.lines.length, 0),
    holds_refused_no_stock: refused,
    ordered: count((h) => h.fate === 'ordered'),
    order_refused: count((h) => h.fate === 'order-refused'),
    released: count((h) => h.fate === 'released'),
    abandoned: count((h) => h.fate === 'abandoned'),
    paid: count((h) => h.order?.payment === 'paid' && h.order.paymentApplied),
    payment_failed: count((h) => h.order?.payment === 'failed' && h.order.paymentApplied),
    unpaid: count((h) => h.order?.payment === 'unpaid'),
  };
}
