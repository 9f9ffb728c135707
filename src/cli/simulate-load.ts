import { randomUUID } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { Pool } from 'undici';
import { present } from '../domain/present.ts';

/** A flash sale to play: who buys what, and what each buyer does after a successful hold. */
export interface SalePlan {
  url: string;
  buyers: number;
  concurrency: number;
  productIds: number[];
  /** Quantities with their weights, e.g. [[1, 70], [2, 20], [3, 10]]; each line of a cart picks one. */
  quantityMix: [number, number][];
  /** Lines per cart with their weights, e.g. [[1, 60], [2, 30], [3, 10]]; 1 is a single-product hold. */
  cartSizeMix: [number, number][];
  /** Of buyers holding stock: share who order and share who release; the rest abandon the hold. */
  orderShare: number;
  releaseShare: number;
  /** Of orders: share paid and share failed; the rest are never paid. */
  payShare: number;
  failShare: number;
  webhookSecret?: string;
  /** Buyers share this many customer ids (buyer i is customer i mod n); none when absent. */
  customers?: number;
}

export interface HoldRecord {
  id: string;
  /** One line per product: a single-product hold has one. */
  lines: { productId: number; quantity: number }[];
  /** The customer id the hold was placed for, with --customers. */
  customerId?: string;
  expiresAt: number;
  fate: 'ordered' | 'released' | 'abandoned' | 'order-refused';
  order?: { id: number; payment: 'paid' | 'failed' | 'unpaid'; paymentApplied: boolean };
}

export interface EndpointStats {
  latencies: number[];
  statuses: Record<number, number>;
  errors: number;
}

export interface SaleRecord {
  startedAt: number;
  endedAt: number;
  /** Ms from the start until the granted quantity first reached the stock on offer. */
  soldOutMs: number | null;
  holds: HoldRecord[];
  refusedForStock: number;
  /** Refused by a product's rules: its sale window, the need of a customer, the limit per customer. */
  refusedByRules: number;
  endpoints: Map<string, EndpointStats>;
}

/** A keep-alive client that records latency and status per endpoint name. */
export class RecordingClient {
  readonly endpoints = new Map<string, EndpointStats>();
  private readonly pool: Pool;

  constructor(url: string, connections: number) {
    this.pool = new Pool(url, { connections, keepAliveTimeout: 30_000 });
  }

  async call(
    endpoint: string,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) {
    const stats = this.stats(endpoint);
    const raw = body === undefined ? undefined : JSON.stringify(body);
    const t0 = performance.now();
    try {
      const res = await this.pool.request({
        path,
        method,
        headers: raw === undefined ? headers : { 'content-type': 'application/json', ...headers },
        body: raw,
      });
      const text = await res.body.text();
      stats.latencies.push(performance.now() - t0);
      stats.statuses[res.statusCode] = (stats.statuses[res.statusCode] ?? 0) + 1;
      return { status: res.statusCode, body: text ? (JSON.parse(text) as ServiceBody) : undefined };
    } catch (err) {
      stats.errors++;
      throw err;
    }
  }

  private stats(endpoint: string): EndpointStats {
    let s = this.endpoints.get(endpoint);
    if (!s) this.endpoints.set(endpoint, (s = { latencies: [], statuses: {}, errors: 0 }));
    return s;
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/** The fields of the service's answers the simulator reads (each absent from some answers). */
export interface ServiceBody {
  id?: number;
  product_id?: number;
  available_stock?: number;
  hold_id?: string;
  expires_at?: string;
  order_id?: number;
  status?: string;
  payment_status?: string;
  type?: string;
  max_per_customer?: number | null;
}

/** The items in a random order (Fisher-Yates). */
const shuffled = <T>(items: readonly T[]): T[] => {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  return out;
};

const pick = <T>(weighted: [T, number][]): T => {
  const total = weighted.reduce((s, [, w]) => s + w, 0);
  let r = Math.random() * total;
  for (const [value, w] of weighted) if ((r -= w) < 0) return value;
  return present(weighted.at(-1), 'a weighted choice')[0];
};

/**
 * Plays the sale: `buyers` buyers, at most `concurrency` at a time, each trying to hold a cart of
 * distinct products (of a size drawn from the mix; one product is a plain hold) and then ordering (and paying or failing), releasing, or walking away. `onProgress` is told
 * after each buyer.
 */
export async function playSale(plan: SalePlan, stockOnOffer: number, onProgress: (done: number) => void): Promise<SaleRecord> {
  const client = new RecordingClient(plan.url, plan.concurrency);
  const signer = plan.webhookSecret ? new Webhook(plan.webhookSecret) : null;
  const holds: HoldRecord[] = [];
  let refusedForStock = 0;
  let refusedByRules = 0;
  let granted = 0;
  let soldOutMs: number | null = null;
  let next = 0;
  let done = 0;
  const startedAt = performance.now();
  // Ids of this run only, so a limit counts nothing an earlier run left.
  const run = randomUUID().slice(0, 8);

  const webhook = async (orderId: number, status: 'paid' | 'failed') => {
    const payload = JSON.stringify({ order_id: orderId, payment_status: status, idempotency_key: `sim-${randomUUID()}` });
    const headers: Record<string, string> = {};
    if (signer) {
      const id = `msg_${randomUUID()}`;
      const at = new Date();
      Object.assign(headers, {
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signer.sign(id, at, payload),
      });
    }
    const res = await client.call('POST /api/payments/webhook', 'POST', '/api/payments/webhook', JSON.parse(payload), headers);
    return res.status === 200 && res.body?.payment_status === status;
  };

  const buyer = async (n: number) => {
    const customerId = plan.customers ? `sim-${run}-${n % plan.customers}` : undefined;
    const size = Math.min(pick(plan.cartSizeMix), plan.productIds.length);
    const lines = shuffled(plan.productIds)
      .slice(0, size)
      .map((productId) => ({ productId, quantity: pick(plan.quantityMix) }));
    const items = lines.map((l) => ({ product_id: l.productId, quantity: l.quantity }));
    const body = size === 1 ? { ...items[0] } : { items };
    const res = await client.call(
      'POST /api/holds',
      'POST',
      '/api/holds',
      customerId ? { ...body, customer_id: customerId } : body,
    );
    if (res.status === 409 && res.body?.type === '/problems/insufficient-stock') refusedForStock++;
    else if (res.status === 409 || res.status === 400) refusedByRules++;
    if (res.status !== 201) return;
    granted += lines.reduce((n, l) => n + l.quantity, 0);
    if (soldOutMs === null && granted >= stockOnOffer) soldOutMs = performance.now() - startedAt;
    const hold: HoldRecord = {
      id: present(res.body?.hold_id, 'hold_id of a placed hold'),
      lines,
      ...(customerId ? { customerId } : {}),
      expiresAt: Date.parse(present(res.body?.expires_at, 'expires_at of a placed hold')),
      fate: 'abandoned',
    };
    holds.push(hold);
    const fate = pick<HoldRecord['fate']>([
      ['ordered', plan.orderShare],
      ['released', plan.releaseShare],
      ['abandoned', Math.max(0, 1 - plan.orderShare - plan.releaseShare)],
    ]);
    if (fate === 'released') {
      const r = await client.call('DELETE /api/holds/{id}', 'DELETE', `/api/holds/${hold.id}`);
      hold.fate = r.status === 200 ? 'released' : 'abandoned';
    } else if (fate === 'ordered') {
      const r = await client.call('POST /api/orders', 'POST', '/api/orders', { hold_id: hold.id });
      if (r.status !== 201) {
        hold.fate = 'order-refused';
        return;
      }
      hold.fate = 'ordered';
      const payment = pick<'paid' | 'failed' | 'unpaid'>([
        ['paid', plan.payShare],
        ['failed', plan.failShare],
        ['unpaid', Math.max(0, 1 - plan.payShare - plan.failShare)],
      ]);
      const orderId = present(r.body?.order_id, 'order_id of a created order');
      hold.order = { id: orderId, payment, paymentApplied: false };
      if (payment !== 'unpaid') hold.order.paymentApplied = await webhook(orderId, payment);
    }
  };

  try {
    await Promise.all(
      Array.from({ length: Math.min(plan.concurrency, plan.buyers) }, async () => {
        while (next < plan.buyers) {
          await buyer(next++).catch(() => {});
          onProgress(++done);
        }
      }),
    );
    const endedAt = performance.now();
    return { startedAt, endedAt, soldOutMs, holds, refusedForStock, refusedByRules, endpoints: client.endpoints };
  } finally {
    await client.close();
  }
}
