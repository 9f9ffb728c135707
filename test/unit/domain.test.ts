import { describe, expect, it } from 'vitest';
import { holdNotActiveError } from '../../src/domain/hold.ts';
import { checkStockFigures } from '../../src/domain/invariants.ts';
import { decidePayment, isTerminalPayment } from '../../src/domain/order.ts';

describe('hold statuses', () => {
  it('says why a hold cannot be used any more', () => {
    expect(holdNotActiveError({ id: 'h', status: 'expired' }).code).toBe('HOLD.EXPIRED');
    expect(holdNotActiveError({ id: 'h', status: 'released' }).code).toBe('HOLD.RELEASED');
    expect(holdNotActiveError({ id: 'h', status: 'confirmed' }).code).toBe('HOLD.CONFIRMED');
  });
});

describe('payment decisions (I4)', () => {
  const created = { status: 'created', refundDue: false } as const;

  it('a created order takes the reported status; only a failure returns stock', () => {
    expect(decidePayment(created, 'paid')).toEqual({ outcome: 'applied', next: 'paid', returnsStock: false });
    expect(decidePayment(created, 'failed')).toEqual({ outcome: 'applied', next: 'failed', returnsStock: true });
  });

  it('a terminal status never changes again', () => {
    for (const status of ['paid', 'failed', 'cancelled'] as const) {
      expect(isTerminalPayment(status)).toBe(true);
      expect(decidePayment({ status, refundDue: false }, 'failed')).toEqual({ outcome: 'ignored' });
    }
    for (const status of ['paid', 'failed'] as const)
      expect(decidePayment({ status, refundDue: false }, 'paid')).toEqual({ outcome: 'ignored' });
    expect(isTerminalPayment('created')).toBe(false);
  });

  it('a payment for a cancelled order is late once: it owes a refund, and then nothing more changes (I9)', () => {
    expect(decidePayment({ status: 'cancelled', refundDue: false }, 'paid')).toEqual({ outcome: 'late' });
    expect(decidePayment({ status: 'cancelled', refundDue: true }, 'paid')).toEqual({ outcome: 'ignored' });
  });
});

describe('stock figures (I1, I2)', () => {
  const ok = { productId: 1, totalStock: 100, available: 60, held: 30, ordered: 10, mirrored: 60 };

  it('accepts figures that add up and a mirror equal to the database', () => {
    expect(checkStockFigures(ok)).toEqual([]);
  });

  it('reports stock that does not add up, negative stock and a drifted or missing mirror', () => {
    expect(checkStockFigures({ ...ok, held: 31 }).map((v) => v.invariant)).toEqual(['I1']);
    expect(checkStockFigures({ ...ok, available: -1, held: 91, mirrored: -1 }).map((v) => v.invariant)).toEqual(['I1']);
    expect(checkStockFigures({ ...ok, mirrored: 61 }).map((v) => v.invariant)).toEqual(['I2']);
    expect(checkStockFigures({ ...ok, mirrored: null }).map((v) => v.invariant)).toEqual(['I2']);
  });
});
