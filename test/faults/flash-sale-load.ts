import { randomUUID } from 'node:crypto';
import { Agent, request } from 'undici';
import { sleep } from './harness.ts';

/** A client gives up on a request after this long: an answer that takes longer counts as a hang. */
export const CLIENT_TIMEOUT_MS = 10_000;

export interface Exchange {
  api: number;
  method: string;
  route: 'hold' | 'release' | 'order' | 'webhook';
  status: number | null;
  contentType: string;
  /** 'timeout' when the client gave up, 'connection' when the connection failed or was cut. */
  failure: 'timeout' | 'connection' | null;
  startedAt: number;
  endedAt: number;
  body: any;
}

/** What the service acknowledged (201/200) to some client: it must all be in the database. */
export interface Acknowledged {
  holds: Map<string, { productId: number; quantity: number }>;
  releases: Set<string>;
  orders: Map<number, { holdId: string }>;
  /** Every 200 webhook answer's payment_status, by order. */
  payments: Map<number, string[]>;
}

export interface LoadOptions {
  apiUrls: string[];
  productIds: number[];
  buyers: number;
  durationMs: number;
}

export interface LoadResult {
  exchanges: Exchange[];
  acked: Acknowledged;
}

/**
 * A flash sale: `buyers` concurrent clients, each looping until `durationMs` is over: hold one or
 * two units, then release it, abandon it (it must expire), or order it and have the provider report
 * paid or failed, sometimes twice with the same key and sometimes with a second, contradicting
 * event. A client whose API answers nothing moves to the other one, as behind a load balancer.
 */
export async function runFlashSale(opts: LoadOptions): Promise<LoadResult> {
  const agent = new Agent({ connections: opts.buyers + 50, pipelining: 0, keepAliveTimeout: 5_000 });
  const exchanges: Exchange[] = [];
  const acked: Acknowledged = { holds: new Map(), releases: new Set(), orders: new Map(), payments: new Map() };
  const until = Date.now() + opts.durationMs;

  const call = async (
    api: number,
    route: Exchange['route'],
    method: 'POST' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<Exchange> => {
    const startedAt = Date.now();
    const ex: Exchange = {
      api,
      method,
      route,
      status: null,
      contentType: '',
      failure: null,
      startedAt,
      endedAt: 0,
      body: undefined,
    };
    try {
      const res = await request(opts.apiUrls[api]! + path, {
        method,
        dispatcher: agent,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: CLIENT_TIMEOUT_MS,
        bodyTimeout: CLIENT_TIMEOUT_MS,
      });
      ex.status = res.statusCode;
      ex.contentType = String(res.headers['content-type'] ?? '');
      const text = await res.body.text();
      ex.body = text ? JSON.parse(text) : undefined;
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      ex.failure = /TIMEOUT/.test(code) ? 'timeout' : 'connection';
    }
    ex.endedAt = Date.now();
    exchanges.push(ex);
    return ex;
  };

  const buyer = async (n: number): Promise<void> => {
    let api = n % opts.apiUrls.length;
    const next = () => (api = (api + 1) % opts.apiUrls.length);
    while (Date.now() < until) {
      const productId = opts.productIds[Math.floor(Math.random() * opts.productIds.length)]!;
      const quantity = Math.random() < 0.8 ? 1 : 2;
      const hold = await call(api, 'hold', 'POST', '/api/holds', { product_id: productId, quantity });
      if (hold.status !== 201) {
        if (hold.failure) next();
        await sleep(50 + Math.random() * 150);
        continue;
      }
      const holdId = hold.body.hold_id as string;
      acked.holds.set(holdId, { productId, quantity });
      const choice = Math.random();
      if (choice < 0.15) {
        const r = await call(api, 'release', 'DELETE', `/api/holds/${holdId}`);
        if (r.status === 200) acked.releases.add(holdId);
        if (r.failure) next();
        continue;
      }
      if (choice < 0.3) continue; // abandoned: the hold must expire by itself
      const order = await call(api, 'order', 'POST', '/api/orders', { hold_id: holdId });
      if (order.failure) next();
      if (order.status !== 201 && order.status !== 200) continue;
      const orderId = order.body.order_id as number;
      acked.orders.set(orderId, { holdId });
      const outcome = Math.random() < 0.7 ? 'paid' : 'failed';
      const event = { order_id: orderId, payment_status: outcome, idempotency_key: randomUUID() };
      const sends = [event];
      if (Math.random() < 0.3) sends.push(event); // the provider retries the same event
      if (Math.random() < 0.1)
        sends.push({ ...event, payment_status: outcome === 'paid' ? 'failed' : 'paid', idempotency_key: randomUUID() });
      const answers = await Promise.all(
        sends.map((e, i) => call((api + i) % opts.apiUrls.length, 'webhook', 'POST', '/api/payments/webhook', e)),
      );
      for (const a of answers) {
        if (a.status !== 200) continue;
        const seen = acked.payments.get(orderId) ?? [];
        seen.push(a.body.payment_status as string);
        acked.payments.set(orderId, seen);
      }
    }
  };

  await Promise.all(Array.from({ length: opts.buyers }, (_, n) => buyer(n)));
  await agent.close();
  return { exchanges, acked };
}

/** Statuses a correct service may answer during the sale, besides 5xx problems under a fault. */
const EXPECTED: Record<Exchange['route'], number[]> = {
  hold: [201, 409],
  release: [200, 409],
  order: [200, 201, 409],
  webhook: [200],
};

/**
 * Sorts the answers into what a client would see: successes and expected refusals, clear 5xx
 * problems, connection failures (acceptable only while `isDown(api, t)`), hangs and anything else.
 */
export function classify(exchanges: Exchange[], isDown: (api: number, at: number) => boolean = () => false) {
  const statuses: Record<string, number> = {};
  const unexpected: Exchange[] = [];
  let serverErrors = 0;
  let connectionFailures = 0;
  let timeouts = 0;
  let maxLatencyMs = 0;
  for (const ex of exchanges) {
    maxLatencyMs = Math.max(maxLatencyMs, ex.endedAt - ex.startedAt);
    const key = ex.failure ?? String(ex.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
    if (ex.failure === 'timeout') timeouts++;
    else if (ex.failure === 'connection') {
      connectionFailures++;
      if (!isDown(ex.api, ex.startedAt) && !isDown(ex.api, ex.endedAt)) unexpected.push(ex);
    } else if (ex.status! >= 500) {
      serverErrors++;
      const problem = ex.contentType.startsWith('application/problem+json') && typeof ex.body?.type === 'string';
      if (!problem || ex.status === 500) unexpected.push(ex);
    } else if (!EXPECTED[ex.route].includes(ex.status!)) unexpected.push(ex);
  }
  return { total: exchanges.length, statuses, serverErrors, connectionFailures, timeouts, maxLatencyMs, unexpected };
}
