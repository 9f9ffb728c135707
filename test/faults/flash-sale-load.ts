import { playSale, type Exchange } from '../../src/cli/sale-load.ts';

/** A client gives up on a request after this long: an answer that takes longer counts as a hang. */
export const CLIENT_TIMEOUT_MS = 10_000;

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
 * A flash sale through the project's load generator (src/cli/sale-load.ts): `buyers` concurrent
 * clients, each looping until `durationMs` is over: hold one or two units, then release it, abandon
 * it (it must expire), or order it and have the provider report paid or failed, sometimes twice with
 * the same key and sometimes with a second, contradicting event. A client whose API answers nothing
 * moves to the other one, as behind a load balancer. Every exchange is kept, to judge each answer.
 */
export async function runFlashSale(opts: LoadOptions): Promise<LoadResult> {
  const sale = await playSale({
    urls: opts.apiUrls,
    durationMs: opts.durationMs,
    concurrency: opts.buyers,
    productIds: opts.productIds,
    quantityMix: [
      [1, 80],
      [2, 20],
    ],
    cartSizeMix: [[1, 1]],
    orderShare: 0.7,
    releaseShare: 0.15,
    payShare: 0.7,
    failShare: 0.3,
    duplicateWebhookShare: 0.3,
    contradictingWebhookShare: 0.1,
    pauseAfterRefusalMs: 200,
    timeoutMs: CLIENT_TIMEOUT_MS,
    closeConnections: true,
    journal: true,
  });
  const acked: Acknowledged = { holds: new Map(), releases: new Set(), orders: new Map(), payments: new Map() };
  for (const h of sale.holds) {
    const [line] = h.lines;
    if (line) acked.holds.set(h.id, { productId: line.productId, quantity: line.quantity });
    if (h.fate === 'released') acked.releases.add(h.id);
    if (h.order) {
      acked.orders.set(h.order.id, { holdId: h.id });
      if (h.order.answered.length > 0) acked.payments.set(h.order.id, h.order.answered);
    }
  }
  return { exchanges: sale.exchanges, acked };
}

/** Statuses a correct service may answer during the sale, besides 5xx problems under a fault. */
const EXPECTED: Record<string, number[]> = {
  'POST /api/holds': [201, 409],
  'DELETE /api/holds/{id}': [200, 409],
  'POST /api/orders': [200, 201, 409],
  'POST /api/payments/webhook': [200],
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
    } else if (!(EXPECTED[ex.endpoint] ?? []).includes(ex.status!)) unexpected.push(ex);
  }
  return { total: exchanges.length, statuses, serverErrors, connectionFailures, timeouts, maxLatencyMs, unexpected };
}
