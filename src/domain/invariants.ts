/**
 * The stock equation of invariant I1, the mirror equality of I2, the limits per customer of I8 and
 * the deadlines of I3 and I9, as pure checks over numbers read elsewhere. `flashsale check` and the tests use the same functions.
 */
export interface StockFigures {
  productId: number;
  totalStock: number;
  available: number;
  held: number;
  ordered: number;
  mirrored: number | null;
}

export interface Violation {
  productId: number;
  invariant: 'I1' | 'I2' | 'I3' | 'I8' | 'I9';
  message: string;
}

export function checkStockFigures(f: StockFigures): Violation[] {
  const violations: Violation[] = [];
  if (f.available < 0) {
    violations.push({ productId: f.productId, invariant: 'I1', message: `available is ${f.available} < 0` });
  }
  const sum = f.available + f.held + f.ordered;
  if (sum !== f.totalStock) {
    violations.push({
      productId: f.productId,
      invariant: 'I1',
      message: `available ${f.available} + held ${f.held} + ordered ${f.ordered} = ${sum}, total stock is ${f.totalStock}`,
    });
  }
  if (f.mirrored !== f.available) {
    violations.push({
      productId: f.productId,
      invariant: 'I2',
      message: `mirror holds ${f.mirrored ?? 'nothing'}, database says ${f.available}`,
    });
  }
  return violations;
}

/** A customer's units of a limited product: active holds plus orders created or paid. */
export interface CustomerUnits {
  productId: number;
  customerId: string;
  units: number;
  maxPerCustomer: number;
}

/** I8: nobody past a product's limit per customer. */
export function checkCustomerUnits(c: CustomerUnits): Violation[] {
  if (c.units <= c.maxPerCustomer) return [];
  return [
    {
      productId: c.productId,
      invariant: 'I8',
      message: `customer ${c.customerId} has ${c.units}, the limit per customer is ${c.maxPerCustomer}`,
    },
  ];
}

/** Holds still active (I3) or orders still created (I9) well past their deadline, per product. */
export interface Overdue {
  invariant: 'I3' | 'I9';
  productId: number;
  late: number;
  oldestSeconds: number;
  graceSeconds: number;
}

/** I3 and I9: whatever passed its deadline by more than the grace has ended; nothing is ending these. */
export function checkOverdue(o: Overdue): Violation[] {
  if (o.late === 0) return [];
  const what = o.invariant === 'I3' ? `active hold(s) past their expires_at` : `order(s) still created past their payment_due_at`;
  return [
    {
      productId: o.productId,
      invariant: o.invariant,
      message: `${o.late} ${what} by more than ${o.graceSeconds} s (the oldest by ${o.oldestSeconds} s): no expiry job or sweeper is ending them`,
    },
  ];
}
