/**
 * The reference model of the sale: what the service must answer and hold, computed without any
 * database, Redis or clock. Only the rules of DESIGN.md's invariants live here.
 */
export type HoldStatus = 'active' | 'confirmed' | 'expired' | 'released';
export type PaymentStatus = 'created' | 'paid' | 'failed' | 'cancelled';

/** A line of a hold or order: a product (its index in the sale) and a quantity. */
export interface ModelLine {
  product: number;
  quantity: number;
}

/** Where a product's sale window stands: open (or none), not started yet, or over. */
export type ModelWindow = 'open' | 'not-started' | 'ended';

/** Why the service must refuse a hold: the first rule any line breaks, in the order they are checked. */
export type HoldRefusal =
  | { rule: 'sale-not-started' | 'sale-ended' | 'customer-required'; product: number }
  | { rule: 'insufficient-stock'; shortfalls: { product: number; requested: number; available: number }[] }
  | { rule: 'purchase-limit-exceeded'; product: number; limit: number; current: number; requested: number };

export interface ModelHold {
  id: string;
  lines: ModelLine[];
  customer: string | null;
  status: HoldStatus;
  /** Its expires_at was moved into the past: the next look at it expires it. */
  overdue: boolean;
  orderId: number | null;
}

export interface ModelOrder {
  id: number;
  hold: number;
  lines: ModelLine[];
  status: PaymentStatus;
  /** Its payment_due_at was moved into the past: the next look at it cancels it. */
  overdue: boolean;
  /** Paid after it was cancelled. */
  refundDue: boolean;
}

export interface ModelEvent {
  key: string;
  orderId: number;
  reported: 'paid' | 'failed';
  /** The order's status in the stored 200 answer, replayed for every repeat of the key. */
  answered: PaymentStatus;
  answeredRefundDue: boolean;
}

export class SaleModel {
  holds: ModelHold[] = [];
  orders: ModelOrder[] = [];
  events: ModelEvent[] = [];

  /** Per product: units one customer may have, or null. */
  readonly limits: (number | null)[];
  readonly windows: ModelWindow[];

  constructor(
    readonly total: number[],
    readonly available: number[] = [...total],
  ) {
    this.limits = total.map(() => null);
    this.windows = total.map(() => 'open');
  }

  /** A customer's units of a product: active holds plus orders created or paid. */
  customerUnits(customer: string, product: number): number {
    return (
      unitsOf(
        this.holds.filter((h) => h.customer === customer && h.status === 'active'),
        product,
      ) +
      unitsOf(
        this.orders.filter((o) => this.holds[o.hold]!.customer === customer && (o.status === 'created' || o.status === 'paid')),
        product,
      )
    );
  }

  /**
   * Customers past a limit, by product then customer id: only where a limit was lowered below what
   * they already had, since no hold is granted past one.
   */
  pastLimit(): { product: number; customer: string; units: number; limit: number }[] {
    const customers = [...new Set(this.holds.map((h) => h.customer).filter((c): c is string => c !== null))].sort();
    return this.limits.flatMap((limit, product) =>
      limit === null
        ? []
        : customers
            .map((customer) => ({ product, customer, units: this.customerUnits(customer, product), limit }))
            .filter((p) => p.units > limit),
    );
  }

  /**
   * Why a hold must be refused, or null when it is placed: each line meets its product's window,
   * its need of a customer, the stock, then the limit; the first rule any line breaks wins.
   */
  refusal(lines: ModelLine[], customer: string | null): HoldRefusal | null {
    const window = lines.find((l) => this.windows[l.product] !== 'open');
    if (window)
      return { rule: this.windows[window.product] === 'ended' ? 'sale-ended' : 'sale-not-started', product: window.product };
    const anonymous = lines.find((l) => this.limits[l.product] !== null && customer === null);
    if (anonymous) return { rule: 'customer-required', product: anonymous.product };
    const short = this.shortfalls(lines);
    if (short.length > 0) return { rule: 'insufficient-stock', shortfalls: short };
    for (const l of lines) {
      const limit = this.limits[l.product];
      if (limit === null || limit === undefined || customer === null) continue;
      const current = this.customerUnits(customer, l.product);
      if (current + l.quantity > limit)
        return { rule: 'purchase-limit-exceeded', product: l.product, limit, current, requested: l.quantity };
    }
    return null;
  }

  /** The lines of a cart that do not fit, with the stock each met: none means it is placed, whole. */
  shortfalls(lines: ModelLine[]): { product: number; requested: number; available: number }[] {
    return lines
      .filter((l) => l.quantity > this.available[l.product]!)
      .map((l) => ({ product: l.product, requested: l.quantity, available: this.available[l.product]! }));
  }

  addHold(id: string, lines: ModelLine[], customer: string | null = null): void {
    for (const l of lines) this.available[l.product]! -= l.quantity;
    this.holds.push({ id, lines, customer, status: 'active', overdue: false, orderId: null });
  }

  private giveBack(lines: ModelLine[]): void {
    for (const l of lines) this.available[l.product]! += l.quantity;
  }

  private expire(h: ModelHold): void {
    h.status = 'expired';
    this.giveBack(h.lines);
  }

  /** The answer to DELETE /api/holds/:id, as the slug of its 409 problem or 'released'. */
  release(h: ModelHold): 'released' | 'hold-expired' | 'hold-released' | 'hold-confirmed' {
    if (h.status === 'active' && h.overdue) {
      this.expire(h);
      return 'hold-expired';
    }
    if (h.status === 'active') {
      h.status = 'released';
      this.giveBack(h.lines);
      return 'released';
    }
    return h.status === 'expired' ? 'hold-expired' : h.status === 'released' ? 'hold-released' : 'hold-confirmed';
  }

  /** The answer to POST /api/orders: a new order, the existing one, or the 409 slug. */
  order(h: ModelHold): 'created' | 'existing' | 'hold-expired' | 'hold-released' {
    if (h.status === 'confirmed') return 'existing';
    if (h.status === 'active' && h.overdue) {
      this.expire(h);
      return 'hold-expired';
    }
    if (h.status === 'active') return 'created';
    return h.status === 'expired' ? 'hold-expired' : 'hold-released';
  }

  addOrder(id: number, holdIndex: number): void {
    const h = this.holds[holdIndex]!;
    h.status = 'confirmed';
    h.orderId = id;
    this.orders.push({ id, hold: holdIndex, lines: h.lines, status: 'created', overdue: false, refundDue: false });
  }

  /** An order still created past its deadline is cancelled by whoever looks at it first; its stock comes back. */
  look(o: ModelOrder): void {
    if (o.status === 'created' && o.overdue) {
      o.status = 'cancelled';
      this.giveBack(o.lines);
    }
  }

  /**
   * A webhook with a fresh key: an overdue order is cancelled first; then the first terminal status
   * wins, a failure gives the stock back, and the first payment of a cancelled order owes a refund.
   */
  pay(o: ModelOrder, key: string, reported: 'paid' | 'failed'): ModelEvent {
    this.look(o);
    if (o.status === 'created') {
      o.status = reported;
      if (reported === 'failed') this.giveBack(o.lines);
    } else if (o.status === 'cancelled' && reported === 'paid') {
      o.refundDue = true;
    }
    const event = { key, orderId: o.id, reported, answered: o.status, answeredRefundDue: o.refundDue };
    this.events.push(event);
    return event;
  }

  /** The sweeper: every overdue active hold expires, every overdue created order is cancelled. */
  sweep(): number {
    const due = this.holds.filter((h) => h.status === 'active' && h.overdue);
    for (const h of due) this.expire(h);
    for (const o of this.orders) this.look(o);
    return due.length;
  }

  held(product: number): number {
    return unitsOf(
      this.holds.filter((h) => h.status === 'active'),
      product,
    );
  }

  ordered(product: number): number {
    return unitsOf(
      this.orders.filter((o) => o.status === 'created' || o.status === 'paid'),
      product,
    );
  }
}

const unitsOf = (carts: { lines: ModelLine[] }[], product: number): number =>
  carts.flatMap((c) => c.lines).reduce((n, l) => n + (l.product === product ? l.quantity : 0), 0);
