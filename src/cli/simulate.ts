import { present } from '../domain/present.ts';
import type { Config } from '../config.ts';
import { accountingChecks, databaseChecks, limitChecks, mostUnitsPerCustomer } from './simulate-checks.ts';
import { playSale, SaleClient } from './sale-load.ts';
import { parseSimulateArgs, positiveInt, usageError } from './simulate-options.ts';
import { outcomes, progressBar, renderSummary, summarizeEndpoints, type SimulationSummary } from './simulate-report.ts';
import { availableStock, createProducts, readProduct, settleHolds } from './simulate-service.ts';

export { SIMULATE_HELP } from './simulate-options.ts';

/** How long accounts that do not add up are read again before they are reported. */
const RECHECK_MS = 3_000;

async function stockAfter(admin: SaleClient, productIds: number[]): Promise<Map<number, number | null>> {
  const after = new Map<number, number | null>();
  for (const id of productIds) after.set(id, await availableStock(admin, id).catch(() => null));
  return after;
}

/**
 * `flashsale simulate`: reads its options (simulate-options.ts), makes or reads the products
 * (simulate-service.ts), plays the sale (sale-load.ts), waits for holds to settle, checks the
 * invariants (simulate-checks.ts) and prints the report (simulate-report.ts). Exit status 1 when an
 * invariant failed.
 */
export async function simulate(config: Config, args: string[]): Promise<number> {
  const { plan, ...o } = parseSimulateArgs(config, args);
  const admin = new SaleClient(plan.urls, 16);
  try {
    plan.productIds = o.create
      ? await createProducts(admin, config, o.create, positiveInt('stock', o.stock), o.maxPerCustomer)
      : o.products.split(',').map((id) => positiveInt('products', id));
    const largest = Math.max(...plan.cartSizeMix.map(([size]) => size));
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
    // The holds' statuses come from PostgreSQL and the stock from the mirror, read one after the
    // other: a change between the two reads (the mirror written just after an expiry's commit, an
    // unpaid order cancelled at its deadline) would look like lost stock. What does not add up is
    // read again, for a bounded time, before it is reported.
    let statuses = await settleHolds(admin, sale.holds, settleUntil);
    let after = await stockAfter(admin, plan.productIds);
    for (const until = Date.now() + RECHECK_MS; ;) {
      if (accountingChecks(sale.holds, statuses, onOffer, after).every((c) => c.ok !== false) || Date.now() >= until) break;
      await new Promise((r) => setTimeout(r, 200));
      statuses = await settleHolds(admin, sale.holds, 0);
      after = await stockAfter(admin, plan.productIds);
    }
    const mostPerCustomer = plan.customers ? mostUnitsPerCustomer(sale.holds, statuses) : null;
    const checks = [
      ...accountingChecks(sale.holds, statuses, onOffer, after),
      ...(mostPerCustomer ? limitChecks(mostPerCustomer, limits) : []),
      ...(await databaseChecks(config, plan)),
    ];
    const summary: SimulationSummary = {
      url: present(plan.urls[0], 'the service URL'),
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
