import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { Pool } from 'undici';
import { present } from '../domain/present.ts';

// The one load generator of the project: buyers playing a flash sale over HTTP. `flashsale
// simulate` plays a fixed number of buyers against one URL and checks what the service answered;
// the fault tests play buyers for a while against several API processes while they kill things,
// and keep every exchange to judge each answer; the benchmark's webhook scenario uses its client.

/** A flash sale to play: who buys what, and what each buyer does after a successful hold. */
export interface SalePlan {
  /** The API processes, as behind a load balancer: a buyer whose API fails moves to the next one. */
  urls: string[];
  /** Buyers in total; absent, buyers keep coming until `durationMs` is over. */
  buyers?: number;
  /** No buyer starts after this many ms; absent, the sale ends when `buyers` have played. */
  durationMs?: number;
  /** Buyers in flight at once. */
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
  /** Of payment events: share the provider sends twice with the same key, as a retry. */
  duplicateWebhookShare?: number;
  /** Of payment events: share followed by a contradicting event (the other status, another key). */
  contradictingWebhookShare?: number;
  webhookSecret?: string;
  /** Buyers share this many customer ids (buyer i is customer i mod n); none when absent. */
  customers?: number;
  /** A buyer refused a hold waits a random time up to this many ms before the next buyer on its slot. */
  pauseAfterRefusalMs?: number;
  /** A request that takes longer counts as a hang (`failure: 'timeout'`); undici's defaults when absent. */
  timeoutMs?: number;
  /** A new connection per request instead of keep-alive (so a killed process costs no stale sockets). */
  closeConnections?: boolean;
  /** Keep every exchange in `SaleRecord.exchanges`, to judge each answer afterwards. */
  journal?: boolean;
}

/** One request and what came of it. */
export interface Exchange {
  /** Index into `SalePlan.urls` of the API that was asked. */
  api: number;
  endpoint: string;
  status: number | null;
  contentType: string;
  /** 'timeout' when the client gave up, 'connection' when the connection failed or was cut. */
  failure: 'timeout' | 'connection' | null;
  startedAt: number;
  endedAt: number;
  body: ServiceBody | undefined;
}

export interface HoldRecord {
  id: string;
  /** One line per product: a single-product hold has one. */
  lines: { productId: number; quantity: number }[];
  /** The customer id the hold was placed for, with `customers`. */
  customerId?: string;
  expiresAt: number;
  fate: 'ordered' | 'released' | 'abandoned' | 'order-refused';
  order?: {
    id: number;
    payment: 'paid' | 'failed' | 'unpaid';
    /** The first payment event was answered 200 with the status it carried. */
    paymentApplied: boolean;
    /** The `payment_status` of every 200 answer to a payment event for this order. */
    answered: string[];
  };
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
  /** Every exchange, with `journal`. */
  exchanges: Exchange[];
}

/** The fields of the service's answers the load generator reads (each absent from some answers). */
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

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** An HTTP client for one or more API processes that records latency and status per endpoint name. */
export class SaleClient {
  readonly endpoints = new Map<string, EndpointStats>();
  readonly exchanges: Exchange[] = [];
  private readonly pools: Pool[];

  constructor(
    urls: string | string[],
    connections: number,
    private readonly options: Pick<SalePlan, 'timeoutMs' | 'closeConnections' | 'journal'> = {},
  ) {
    this.pools = (Array.isArray(urls) ? urls : [urls]).map(
      (url) =>
        new Pool(url, {
          connections,
          ...(options.closeConnections ? { pipelining: 0 } : { keepAliveTimeout: 30_000 }),
        }),
    );
  }

  get apis(): number {
    return this.pools.length;
  }

  /** Sends one request to API `api`; never throws: a failed request has `failure` set. */
  async exchange(
    endpoint: string,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    api = 0,
  ): Promise<Exchange> {
    const stats = this.stats(endpoint);
    const raw = body === undefined ? undefined : JSON.stringify(body);
    const ex: Exchange = {
      api,
      endpoint,
      status: null,
      contentType: '',
      failure: null,
      startedAt: Date.now(),
      endedAt: 0,
      body: undefined,
    };
    const t0 = performance.now();
    try {
      const timeout = this.options.timeoutMs;
      const res = await present(this.pools[api], `API ${api}`).request({
        path,
        method,
        headers: raw === undefined ? headers : { 'content-type': 'application/json', ...headers },
        body: raw,
        ...(timeout === undefined ? {} : { headersTimeout: timeout, bodyTimeout: timeout }),
      });
      ex.status = res.statusCode;
      ex.contentType = String(res.headers['content-type'] ?? '');
      const text = await res.body.text();
      ex.body = text ? (JSON.parse(text) as ServiceBody) : undefined;
      stats.latencies.push(performance.now() - t0);
      stats.statuses[res.statusCode] = (stats.statuses[res.statusCode] ?? 0) + 1;
    } catch (err) {
      stats.errors++;
      ex.failure = TIMEOUT_CODES.has((err as { code?: string }).code ?? '') ? 'timeout' : 'connection';
    }
    ex.endedAt = Date.now();
    if (this.options.journal) this.exchanges.push(ex);
    return ex;
  }

  /** Sends one request to the first API and returns its answer; throws when no answer came. */
  async call(
    endpoint: string,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: ServiceBody | undefined }> {
    const ex = await this.exchange(endpoint, method, path, body, headers);
    if (ex.status === null)
      throw new Error(`${endpoint}: ${ex.failure === 'timeout' ? 'no answer in time' : 'connection failed'}`);
    return { status: ex.status, body: ex.body };
  }

  private stats(endpoint: string): EndpointStats {
    let s = this.endpoints.get(endpoint);
    if (!s) this.endpoints.set(endpoint, (s = { latencies: [], statuses: {}, errors: 0 }));
    return s;
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.close()));
  }
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
 * Plays the sale: buyers, at most `concurrency` at a time, each trying to hold a cart of distinct
 * products (of a size drawn from the mix; one product is a plain hold) and then ordering (and
 * paying or failing, the provider sometimes retrying or contradicting itself), releasing, or
 * walking away. Each concurrency slot keeps asking the same API until it fails to answer, then
 * moves to the next. `stockOnOffer` (for the sold-out time) and `onProgress` (told after each
 * buyer) are optional.
 */
export async function playSale(
  plan: SalePlan,
  stockOnOffer: number | null = null,
  onProgress: (done: number) => void = () => {},
): Promise<SaleRecord> {
  if (plan.buyers === undefined && plan.durationMs === undefined) throw new Error('a sale needs buyers or a duration');
  const client = new SaleClient(plan.urls, plan.concurrency, plan);
  const signer = plan.webhookSecret ? new Webhook(plan.webhookSecret) : null;
  const holds: HoldRecord[] = [];
  let refusedForStock = 0;
  let refusedByRules = 0;
  let granted = 0;
  let soldOutMs: number | null = null;
  let next = 0;
  let done = 0;
  const startedAt = performance.now();
  const until = plan.durationMs === undefined ? Infinity : Date.now() + plan.durationMs;
  const buyers = plan.buyers ?? Infinity;
  // Ids of this run only, so a limit counts nothing an earlier run left.
  const run = randomUUID().slice(0, 8);

  const signed = (payload: string): Record<string, string> => {
    if (!signer) return {};
    const id = `msg_${randomUUID()}`;
    const at = new Date();
    return {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signer.sign(id, at, payload),
    };
  };

  /** The provider's events for one order, sent side by side to successive APIs; the 200 answers' statuses. */
  const payments = async (api: number, orderId: number, status: 'paid' | 'failed') => {
    const event = { order_id: orderId, payment_status: status, idempotency_key: `sim-${randomUUID()}` };
    const first = { body: event, headers: signed(JSON.stringify(event)) };
    const sends = [first];
    if (Math.random() < (plan.duplicateWebhookShare ?? 0)) sends.push(first);
    if (Math.random() < (plan.contradictingWebhookShare ?? 0)) {
      const other = {
        ...event,
        payment_status: status === 'paid' ? ('failed' as const) : ('paid' as const),
        idempotency_key: `sim-${randomUUID()}`,
      };
      sends.push({ body: other, headers: signed(JSON.stringify(other)) });
    }
    return Promise.all(
      sends.map((s, i) =>
        client.exchange(
          'POST /api/payments/webhook',
          'POST',
          '/api/payments/webhook',
          s.body,
          s.headers,
          (api + i) % client.apis,
        ),
      ),
    );
  };

  /** One buyer's journey on API `slot.api`; moves the slot to the next API when its own fails. */
  const buyer = async (n: number, slot: { api: number }) => {
    const failed = (ex: Exchange) => {
      if (ex.failure) slot.api = (slot.api + 1) % client.apis;
      return ex.failure !== null;
    };
    const customerId = plan.customers ? `sim-${run}-${n % plan.customers}` : undefined;
    const size = Math.min(pick(plan.cartSizeMix), plan.productIds.length);
    const lines = shuffled(plan.productIds)
      .slice(0, size)
      .map((productId) => ({ productId, quantity: pick(plan.quantityMix) }));
    const items = lines.map((l) => ({ product_id: l.productId, quantity: l.quantity }));
    const body = size === 1 ? { ...items[0] } : { items };
    const res = await client.exchange(
      'POST /api/holds',
      'POST',
      '/api/holds',
      customerId ? { ...body, customer_id: customerId } : body,
      {},
      slot.api,
    );
    failed(res);
    if (res.status === 409 && res.body?.type === '/problems/insufficient-stock') refusedForStock++;
    else if (res.status === 409 || res.status === 400) refusedByRules++;
    if (res.status !== 201) {
      if (plan.pauseAfterRefusalMs) await sleep(Math.random() * plan.pauseAfterRefusalMs);
      return;
    }
    granted += lines.reduce((n, l) => n + l.quantity, 0);
    if (soldOutMs === null && stockOnOffer !== null && granted >= stockOnOffer) soldOutMs = performance.now() - startedAt;
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
      const r = await client.exchange('DELETE /api/holds/{id}', 'DELETE', `/api/holds/${hold.id}`, undefined, {}, slot.api);
      failed(r);
      hold.fate = r.status === 200 ? 'released' : 'abandoned';
    } else if (fate === 'ordered') {
      const r = await client.exchange('POST /api/orders', 'POST', '/api/orders', { hold_id: hold.id }, {}, slot.api);
      // Without an answer the order may or may not exist: the hold stays 'abandoned' (unknown).
      if (failed(r)) return;
      if (r.status !== 201 && r.status !== 200) {
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
      hold.order = { id: orderId, payment, paymentApplied: false, answered: [] };
      if (payment === 'unpaid') return;
      const answers = await payments(slot.api, orderId, payment);
      hold.order.paymentApplied = answers[0]?.status === 200 && answers[0].body?.payment_status === payment;
      for (const a of answers) if (a.status === 200) hold.order.answered.push(String(a.body?.payment_status));
    }
  };

  try {
    await Promise.all(
      Array.from({ length: Math.min(plan.concurrency, buyers) }, async (_, w) => {
        const slot = { api: w % client.apis };
        while (next < buyers && Date.now() < until) {
          await buyer(next++, slot);
          onProgress(++done);
        }
      }),
    );
    const endedAt = performance.now();
    return {
      startedAt,
      endedAt,
      soldOutMs,
      holds,
      refusedForStock,
      refusedByRules,
      endpoints: client.endpoints,
      exchanges: client.exchanges,
    };
  } finally {
    await client.close();
  }
}
