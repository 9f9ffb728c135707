import { createPool } from '../adapters/postgres/db.ts';
import { createRedis, redisReady, redisTarget } from '../adapters/redis/client.ts';
import { RedisStockMirror } from '../adapters/redis/stock-mirror.ts';
import { checkInvariants } from '../app/reconcile.ts';
import type { StockMirror } from '../app/ports.ts';
import type { Config } from '../config.ts';
import { present } from '../domain/present.ts';
import { SaleClient, type HoldRecord, type SalePlan } from './sale-load.ts';
import { availableStock, type HoldStatuses } from './simulate-service.ts';
import type { Check } from './simulate-report.ts';

// The checks simulate makes after the sale: what the service acknowledged took effect once, no
// product oversold (from the service's answers), no customer past a limit, and `flashsale check`'s
// stock equation and mirror comparison when the database is reachable.

/**
 * Per product, the customer with the most units as the limit counts them (active holds plus orders
 * not failed), from what the service reported after the sale.
 */
export function mostUnitsPerCustomer(
  holds: HoldRecord[],
  statuses: HoldStatuses,
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
export function limitChecks(
  most: Map<number, { customerId: string; units: number }>,
  limits: Map<number, number | null>,
): Check[] {
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

export function accountingChecks(
  holds: HoldRecord[],
  statuses: HoldStatuses,
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
export async function databaseChecks(config: Config, plan: SalePlan): Promise<Check[]> {
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
  const http = redis ? null : new SaleClient(plan.urls, 4);
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
