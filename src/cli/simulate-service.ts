import type { Config } from '../config.ts';
import { present } from '../domain/present.ts';
import type { HoldRecord, SaleClient } from './sale-load.ts';
import { usageError } from './simulate-options.ts';

// What simulate asks the service besides the sale itself: its products, made or read before the
// sale, and every hold's final status after it.

/** Each hold's status (and its order's payment) as the service reported it after the sale. */
export type HoldStatuses = Map<string, { status: string; payment?: string }>;

export async function createProducts(
  http: SaleClient,
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

export async function readProduct(http: SaleClient, id: number): Promise<{ available: number; maxPerCustomer: number | null }> {
  const res = await http.call('GET /api/products/{id}', 'GET', `/api/products/${id}`);
  if (res.status !== 200) throw new Error(`product ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    available: present(res.body?.available_stock, `available_stock of product ${id}`),
    maxPerCustomer: res.body?.max_per_customer ?? null,
  };
}

export async function availableStock(http: SaleClient, id: number): Promise<number> {
  const res = await http.call('GET /api/products/{id}', 'GET', `/api/products/${id}`);
  if (res.status !== 200) throw new Error(`product ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  return present(res.body?.available_stock, `available_stock of product ${id}`);
}

/** Each hold's status (and its order's payment) as the service reports it, waiting for expiries up to `until`. */
export async function settleHolds(http: SaleClient, holds: HoldRecord[], until: number): Promise<HoldStatuses> {
  const result: HoldStatuses = new Map();
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
