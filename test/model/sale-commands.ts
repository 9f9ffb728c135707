import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { expect } from 'vitest';
import { cancelOverdueOrders } from '../../src/app/expiry/cancel-unpaid-orders.ts';
import { expireOverdueHolds } from '../../src/app/expiry/expire-holds.ts';
import type { HttpResult, TestService } from '../helpers/service.ts';
import type { ModelLine, ModelWindow, SaleModel } from './reference-model.ts';

/**
 * The commands of the model test. Each runs one step against the real service over HTTP (or, for
 * the clock and the sweeper, the way the running system would) and the same step on the model,
 * and asserts that both answered alike. The full state is compared after every step.
 */
export interface Real {
  svc: TestService;
  productIds: number[];
  /** The sale's customers, fresh ids per sale. */
  customerIds: string[];
  adminToken: string;
  /** Compares the whole state of the service with the model; every command ends with it. */
  agree(m: SaleModel): Promise<void>;
}
export type Cmd = fc.AsyncCommand<SaleModel, Real>;

const problemSlug = (res: HttpResult): string => {
  expect(res.headers['content-type'], JSON.stringify(res.body)).toMatch(/^application\/problem\+json/);
  expect(res.body.status).toBe(res.status);
  return String(res.body.type).split('/').pop()!;
};

/** The answer has this status; the body is in the message when it does not. */
const expectStatus = (res: HttpResult, status: number): void => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
};

/** The answer is a problem document of this status and type (its slug). */
const expectProblem = (res: HttpResult, status: number, slug: string): void => {
  expectStatus(res, status);
  expect(problemSlug(res)).toBe(slug);
};

/** The hold, order or event a command's `pick` names: any index works while the list is not empty. */
const picked = <T>(list: readonly T[], pick: number): T => list[pick % list.length]!;

/** The provider's webhook for an order. */
const postWebhook = (r: Real, orderId: number, status: 'paid' | 'failed', key: string): Promise<HttpResult> =>
  r.svc.post('/api/payments/webhook', { order_id: orderId, payment_status: status, idempotency_key: key });

/** A hold of one product (`{product_id, quantity}`) or a cart of distinct products (`{items}`), for a customer or none. */
export class PlaceHold implements Cmd {
  readonly lines: ModelLine[];
  constructor(
    product: number,
    quantity: number,
    more: ModelLine[] = [],
    /** Send even a single line as `items`. */
    readonly asCart = more.length > 0,
    /** Which of the sale's customers holds (its index), or null for none. */
    readonly customer: number | null = null,
  ) {
    this.lines = [{ product, quantity }, ...more];
  }
  check = () => true;
  async run(m: SaleModel, r: Real) {
    const items = this.lines.map((l) => ({ product_id: r.productIds[l.product]!, quantity: l.quantity }));
    const customerId = this.customer === null ? null : r.customerIds[this.customer]!;
    const body = this.asCart ? { items } : items[0];
    const res = await r.svc.post('/api/holds', customerId === null ? body : { ...body, customer_id: customerId });
    const refusal = m.refusal(this.lines, customerId);
    if (refusal === null) {
      expectStatus(res, 201);
      expect(res.body.items).toEqual(items);
      expect(res.body.customer_id).toBe(customerId);
      m.addHold(res.body.hold_id, this.lines, customerId);
    } else if (refusal.rule === 'insufficient-stock') {
      expectProblem(res, 409, 'insufficient-stock');
      expect(res.body.lines).toEqual(
        refusal.shortfalls.map((s) => ({ product_id: r.productIds[s.product], requested: s.requested, available: s.available })),
      );
    } else {
      expectProblem(res, refusal.rule === 'customer-required' ? 400 : 409, refusal.rule);
      expect(res.body.product_id).toBe(r.productIds[refusal.product]);
      if (refusal.rule === 'purchase-limit-exceeded') {
        expect(res.body).toMatchObject({ limit: refusal.limit, current: refusal.current, requested: refusal.requested });
      }
    }
    await r.agree(m);
  }
  toString = () =>
    `hold(${this.lines.map((l) => `p${l.product}x${l.quantity}`).join(', ')}${this.asCart && this.lines.length === 1 ? ', as cart' : ''}` +
    `${this.customer === null ? '' : `, c${this.customer}`})`;
}

/** The operator sets a product's limit per customer (null: none) and moves its sale window. */
export class SetRules implements Cmd {
  constructor(
    readonly product: number,
    readonly limit: number | null,
    readonly window: ModelWindow,
  ) {}
  check = () => true;
  async run(m: SaleModel, r: Real) {
    // Far from now, so no clock can disagree about which side of an edge the sale is on.
    const times: Record<ModelWindow, { sale_starts_at: string | null; sale_ends_at: string | null }> = {
      open: { sale_starts_at: '2020-01-01T00:00:00Z', sale_ends_at: null },
      'not-started': { sale_starts_at: '2999-01-01T00:00:00Z', sale_ends_at: null },
      ended: { sale_starts_at: null, sale_ends_at: '2020-01-01T00:00:00Z' },
    };
    const res = await r.svc.call(
      'PATCH',
      `/api/admin/products/${r.productIds[this.product]}`,
      { max_per_customer: this.limit, ...times[this.window] },
      { authorization: `Bearer ${r.adminToken}` },
    );
    expectStatus(res, 200);
    expect(res.body.max_per_customer).toBe(this.limit);
    m.limits[this.product] = this.limit;
    m.windows[this.product] = this.window;
    await r.agree(m);
  }
  toString = () => `rules(p${this.product}, limit ${this.limit ?? 'none'}, ${this.window})`;
}

export class ReleaseHold implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Readonly<SaleModel>) => m.holds.length > 0;
  async run(m: SaleModel, r: Real) {
    const h = picked(m.holds, this.pick);
    const res = await r.svc.del(`/api/holds/${h.id}`);
    const want = m.release(h);
    if (want === 'released') {
      expectStatus(res, 200);
      expect(res.body.status).toBe('released');
    } else {
      expectProblem(res, 409, want);
    }
    await r.agree(m);
  }
  toString = () => `release(#${this.pick})`;
}

export class CreateOrder implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Readonly<SaleModel>) => m.holds.length > 0;
  async run(m: SaleModel, r: Real) {
    const index = this.pick % m.holds.length;
    const h = m.holds[index]!;
    const res = await r.svc.post('/api/orders', { hold_id: h.id });
    const want = m.order(h);
    if (want === 'created') {
      expectStatus(res, 201);
      m.addOrder(res.body.order_id, index);
    } else if (want === 'existing') {
      expectStatus(res, 200);
      expect(res.body.order_id).toBe(h.orderId);
      // Read again, as GET would: an overdue order is cancelled by it.
      const o = m.orders.find((x) => x.id === h.orderId)!;
      m.look(o);
      expect(res.body.payment_status).toBe(o.status);
    } else {
      expectProblem(res, 409, want);
    }
    await r.agree(m);
  }
  toString = () => `order(#${this.pick})`;
}

export class PaymentWebhook implements Cmd {
  constructor(
    readonly pick: number,
    readonly reported: 'paid' | 'failed',
  ) {}
  check = (m: Readonly<SaleModel>) => m.orders.length > 0;
  async run(m: SaleModel, r: Real) {
    const o = picked(m.orders, this.pick);
    const key = randomUUID();
    const res = await postWebhook(r, o.id, this.reported, key);
    const event = m.pay(o, key, this.reported);
    expectStatus(res, 200);
    expect(res.body.payment_status).toBe(event.answered);
    expect(res.body.refund_due).toBe(event.answeredRefundDue);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    await r.agree(m);
  }
  toString = () => `${this.reported}(order #${this.pick})`;
}

/** The provider repeats an event: the stored answer comes back and nothing changes; another payload is 422. */
export class RepeatWebhook implements Cmd {
  constructor(
    readonly pick: number,
    readonly samePayload: boolean,
  ) {}
  check = (m: Readonly<SaleModel>) => m.events.length > 0;
  async run(m: SaleModel, r: Real) {
    const e = picked(m.events, this.pick);
    const reported = this.samePayload ? e.reported : e.reported === 'paid' ? 'failed' : 'paid';
    const res = await postWebhook(r, e.orderId, reported, e.key);
    if (this.samePayload) {
      expectStatus(res, 200);
      expect(res.headers['idempotent-replayed']).toBe('true');
      expect(res.body.payment_status).toBe(e.answered);
      expect(res.body.refund_due).toBe(e.answeredRefundDue);
    } else {
      expectProblem(res, 422, 'idempotency-key-reused');
    }
    await r.agree(m);
  }
  toString = () => `repeat(event #${this.pick}, ${this.samePayload ? 'same' : 'other'} payload)`;
}

/** Time passes for one hold: its expires_at moves into the past on the database clock. */
export class AdvanceClock implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Readonly<SaleModel>) => m.holds.length > 0;
  async run(m: SaleModel, r: Real) {
    const h = picked(m.holds, this.pick);
    await r.svc.rt.pool.query(
      `update holds set expires_at = clock_timestamp() - interval '1 second' where id = $1 and status = 'active'`,
      [h.id],
    );
    if (h.status === 'active') h.overdue = true;
    await r.agree(m);
  }
  toString = () => `advance(#${this.pick})`;
}

/** Time passes for one order: its payment_due_at moves into the past on the database clock. */
export class AdvanceOrderClock implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Readonly<SaleModel>) => m.orders.length > 0;
  async run(m: SaleModel, r: Real) {
    const o = picked(m.orders, this.pick);
    await r.svc.rt.pool.query(
      `update orders set payment_due_at = clock_timestamp() - interval '1 second' where id = $1 and payment_status = 'created'`,
      [o.id],
    );
    if (o.status === 'created') o.overdue = true;
    await r.agree(m);
  }
  toString = () => `advance(order #${this.pick})`;
}

/** GET /api/orders/{id}: the order as it is now, cancelled first if it is overdue. */
export class ReadOrder implements Cmd {
  constructor(readonly pick: number) {}
  check = (m: Readonly<SaleModel>) => m.orders.length > 0;
  async run(m: SaleModel, r: Real) {
    const o = picked(m.orders, this.pick);
    const res = await r.svc.get(`/api/orders/${o.id}`);
    m.look(o);
    expectStatus(res, 200);
    expect(res.body.payment_status).toBe(o.status);
    expect(res.body.refund_due).toBe(o.refundDue);
    await r.agree(m);
  }
  toString = () => `read(order #${this.pick})`;
}

/** The sweeper runs once, as it does every second in the worker. */
export class Sweep implements Cmd {
  check = () => true;
  async run(m: SaleModel, r: Real) {
    // It sweeps the whole database; the agreement check looks at this sale's holds and orders.
    await expireOverdueHolds(r.svc.rt.ctx);
    await cancelOverdueOrders(r.svc.rt.ctx);
    m.sweep();
    await r.agree(m);
  }
  toString = () => 'sweep';
}

/** Redis loses everything of this service: mirror, idempotency keys and expiry jobs. */
export class FlushRedis implements Cmd {
  check = () => true;
  async run(m: SaleModel, r: Real) {
    const keys = await r.svc.redis.keys(`${r.svc.config.REDIS_PREFIX}*`);
    if (keys.length > 0) await r.svc.redis.del(...keys);
    await r.agree(m);
  }
  toString = () => 'flush';
}

export class ReadProduct implements Cmd {
  constructor(readonly product: number) {}
  check = () => true;
  async run(m: SaleModel, r: Real) {
    const res = await r.svc.get(`/api/products/${r.productIds[this.product]}`);
    expect(res.status).toBe(200);
    expect(res.body.available_stock).toBe(m.available[this.product]);
    expect(res.body.total_stock).toBe(m.total[this.product]);
    await r.agree(m);
  }
  toString = () => `read(p${this.product})`;
}

/** How many customers a sale has. */
export const CUSTOMERS = 3;

export function saleCommands(products: number): fc.Arbitrary<Iterable<Cmd>> {
  const product = fc.nat({ max: products - 1 });
  const pick = fc.nat({ max: 50 });
  const customer = fc.option(fc.nat({ max: CUSTOMERS - 1 }), { freq: 3 });
  const payment = fc.tuple(pick, fc.constantFrom('paid' as const, 'failed' as const)).map(([i, s]) => new PaymentWebhook(i, s));
  // An arbitrary listed twice is drawn twice as often.
  return fc.commands(
    [
      fc.tuple(product, fc.integer({ min: 1, max: 3 })).map(([p, q]) => new PlaceHold(p, q)),
      fc.tuple(product, fc.integer({ min: 1, max: 3 }), customer).map(([p, q, c]) => new PlaceHold(p, q, [], false, c)),
      fc
        .tuple(
          product,
          fc.option(fc.integer({ min: 1, max: 4 })),
          fc.constantFrom<ModelWindow>('open', 'open', 'open', 'not-started', 'ended'),
        )
        .map(([p, limit, window]) => new SetRules(p, limit, window)),
      // Carts: 1 to every product, each at most once, in any order.
      fc
        .tuple(
          fc.uniqueArray(product, { minLength: 1, maxLength: products }),
          fc.array(fc.integer({ min: 1, max: 3 }), { minLength: products, maxLength: products }),
          customer,
        )
        .map(([ps, qs, c]) => {
          const [first, ...more] = ps.map((p, i) => ({ product: p, quantity: qs[i]! }));
          return new PlaceHold(first!.product, first!.quantity, more, true, c);
        }),
      pick.map((i) => new ReleaseHold(i)),
      pick.map((i) => new CreateOrder(i)),
      pick.map((i) => new CreateOrder(i)),
      payment,
      payment,
      fc.tuple(pick, fc.boolean()).map(([i, same]) => new RepeatWebhook(i, same)),
      pick.map((i) => new AdvanceClock(i)),
      pick.map((i) => new AdvanceOrderClock(i)),
      pick.map((i) => new AdvanceOrderClock(i)),
      pick.map((i) => new ReadOrder(i)),
      fc.constant(new Sweep()),
      fc.constant(new FlushRedis()),
      product.map((p) => new ReadProduct(p)),
    ],
    { maxCommands: 40 },
  );
}
