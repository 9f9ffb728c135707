/**
 * The reference model of the sale: what the service must answer and hold, computed without any
 * database, Redis or clock. Only the rules of DESIGN.md's invariants live here.
 */
export type HoldStatus = 'active' | 'confirmed' | 'expired' | 'released';
export type PaymentStatus = 'created' | 'paid' | 'failed';

export interface ModelHold {
  id: string;
  product: number;
  quantity: number;
  status: HoldStatus;
  /** Its expires_at was moved into the past: the next look at it expires it. */
  overdue: boolean;
  orderId: number | null;
}

export interface ModelOrder {
  id: number;
  hold: number;
  product: number;
  quantity: number;
  status: PaymentStatus;
}

export interface ModelEvent {
  key: string;
  orderId: number;
  reported: 'paid' | 'failed';
  /** The order's status in the stored 200 answer, replayed for every repeat of the key. */
  answered: PaymentStatus;
}

export class SaleModel {
  holds: ModelHold[] = [];
  orders: ModelOrder[] = [];
  events: ModelEvent[] = [];

  constructor(
    readonly total: number[],
    readonly available: number[] = [...total],
  ) {}

  /** Outcome of asking for `quantity` of product `product`. */
  placeHold(product: number, quantity: number): 'placed' | 'insufficient' {
    return quantity <= this.available[product]! ? 'placed' : 'insufficient';
  }

  addHold(id: string, product: number, quantity: number): void {
    this.available[product]! -= quantity;
    this.holds.push({ id, product, quantity, status: 'active', overdue: false, orderId: null });
  }

  private expire(h: ModelHold): void {
    h.status = 'expired';
    this.available[h.product]! += h.quantity;
  }

  /** The answer to DELETE /api/holds/:id, as the slug of its 409 problem or 'released'. */
  release(h: ModelHold): 'released' | 'hold-expired' | 'hold-released' | 'hold-confirmed' {
    if (h.status === 'active' && h.overdue) {
      this.expire(h);
      return 'hold-expired';
    }
    if (h.status === 'active') {
      h.status = 'released';
      this.available[h.product]! += h.quantity;
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
    this.orders.push({ id, hold: holdIndex, product: h.product, quantity: h.quantity, status: 'created' });
  }

  /** A webhook with a fresh key: the first terminal status wins, a failure gives the stock back. */
  pay(o: ModelOrder, key: string, reported: 'paid' | 'failed'): ModelEvent {
    if (o.status === 'created') {
      o.status = reported;
      if (reported === 'failed') this.available[o.product]! += o.quantity;
    }
    const event = { key, orderId: o.id, reported, answered: o.status };
    this.events.push(event);
    return event;
  }

  /** The sweeper: every overdue active hold expires. */
  sweep(): number {
    const due = this.holds.filter((h) => h.status === 'active' && h.overdue);
    for (const h of due) this.expire(h);
    return due.length;
  }

  held(product: number): number {
    return sum(this.holds.filter((h) => h.product === product && h.status === 'active').map((h) => h.quantity));
  }

  ordered(product: number): number {
    return sum(this.orders.filter((o) => o.product === product && o.status !== 'failed').map((o) => o.quantity));
  }
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
