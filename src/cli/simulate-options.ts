import { parseArgs } from 'node:util';
import { ConfigError, type Config } from '../config.ts';
import type { SalePlan } from './sale-load.ts';

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

export const usageError = (msg: string) => new ConfigError(`simulate: ${msg}\n\n${SIMULATE_HELP}`);

export function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw usageError(`--${name} must be a positive integer (got "${v}")`);
  return n;
}
function share(name: string, v: string): number {
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw usageError(`--${name} must be between 0 and 1 (got "${v}")`);
  return n;
}

/** What `simulate` was asked to do: the sale to play, and how to get its products and report it. */
export interface SimulateOptions {
  plan: SalePlan & { buyers: number };
  /** Products to create through the admin API (with `stock` each), instead of `products`. */
  create: number | null;
  stock: string;
  products: string;
  maxPerCustomer: number | null;
  settle: string;
  json: boolean;
}

/** Reads the command line; bad usage is a ConfigError that carries the help. */
export function parseSimulateArgs(config: Config, args: string[]): SimulateOptions {
  const { values: o } = parseArgs({ args, options: OPTIONS, strict: true });
  const mix = (name: string, value: string) =>
    value.split(',').map((part) => {
      const [n, w = '1'] = part.split(':');
      return [positiveInt(name, n ?? ''), Number(w)] as [number, number];
    });
  const quantityMix = mix('quantities', o.quantities);
  const cartSizeMix = mix('cart-size', o['cart-size']);
  if (cartSizeMix.some(([size]) => size > 50)) throw usageError('--cart-size must not exceed 50 lines');
  const plan: SimulateOptions['plan'] = {
    urls: [o.url.replace(/\/$/, '')],
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

  return {
    plan,
    create: o.create === undefined ? null : positiveInt('create', o.create),
    stock: o.stock,
    products: o.products,
    maxPerCustomer,
    settle: o.settle,
    json: o.json,
  };
}
