/**
 * The reference model of the sale: what the service must answer and hold, computed without any
 * database, Redis or clock. Only the rules of DESIGN.md's invariants live here.
 */
export type HoldStatus = 'active' | 'confirmed' | 'expired' | 'released';
export type PaymentStatus = 'created' | 'paid' | 'failed';

/** A line of a hold or order: a product (its index in the sale) and a quantity. */
export interface ModelLine {
  product: number;
  quantity: number;
}

export interface ModelHold {
  id: string;
  lines: ModelLine[];
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

  /** The lines of a cart that do not fit, with the stock each met: none means it is placed, whole. */
  shortfalls(lines: ModelLine[]): { product: number; requested: number; available: number }[] {
    return lines
      .filter((l) => l.quantity > this.available[l.product]!)
      .map((l) => ({ product: l.product, requested: l.quantity, available: this.available[l.product]! }));
  }

  addHold(id: string, lines: ModelLine[]): void {
    for (const l of lines) this.available[l.product]! -= l.quantity;
    this.holds.push({ id, lines, status: 'active', overdue: false, orderId: null });
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
    this.orders.push({ id, hold: holdIndex, lines: h.lines, status: 'created' });
  }

  /** A webhook with a fresh key: the first terminal status wins, a failure gives the stock back. */
  pay(o: ModelOrder, key: string, reported: 'paid' | 'failed'): ModelEvent {
    if (o.status === 'created') {
      o.status = reported;
      if (reported === 'failed') this.giveBack(o.lines);
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
    return unitsOf(
      this.holds.filter((h) => h.status === 'active'),
      product,
    );
  }

  ordered(product: number): number {
    return unitsOf(
      this.orders.filter((o) => o.status !== 'failed'),
      product,
    );
  }
}

const unitsOf = (carts: { lines: ModelLine[] }[], product: number): number =>
  carts.flatMap((c) => c.lines).reduce((n, l) => n + (l.product === product ? l.quantity : 0), 0);
