import { describe, expect, it } from 'vitest';
import { canTransitionHold, HOLD_STATUSES, holdNotActiveError } from '../../src/domain/hold.ts';
import { checkStockFigures } from '../../src/domain/invariants.ts';
import { decidePayment, isTerminalPayment } from '../../src/domain/order.ts';

describe('hold transitions', () => {
  it('only an active hold can change, and only into a final status', () => {
    const allowed = HOLD_STATUSES.flatMap((from) =>
      HOLD_STATUSES.filter((to) => canTransitionHold(from, to)).map((to) => `${from}->${to}`),
    );
    expect(allowed.sort()).toEqual(['active->confirmed', 'active->expired', 'active->released']);
  });

  it('says why a hold cannot be used any more', () => {
    expect(holdNotActiveError({ id: 'h', status: 'expired' }).code).toBe('HOLD.EXPIRED');
    expect(holdNotActiveError({ id: 'h', status: 'released' }).code).toBe('HOLD.RELEASED');
    expect(holdNotActiveError({ id: 'h', status: 'confirmed' }).code).toBe('HOLD.CONFIRMED');
  });
});

describe('payment decisions (I4)', () => {
  it('a created order takes the reported status; only a failure returns stock', () => {
    expect(decidePayment('created', 'paid')).toEqual({ outcome: 'applied', next: 'paid', returnsStock: false });
    expect(decidePayment('created', 'failed')).toEqual({ outcome: 'applied', next: 'failed', returnsStock: true });
  });

  it('a terminal status never changes again', () => {
    for (const current of ['paid', 'failed'] as const) {
      expect(isTerminalPayment(current)).toBe(true);
      for (const reported of ['paid', 'failed'] as const)
        expect(decidePayment(current, reported)).toEqual({ outcome: 'ignored' });
    }
    expect(isTerminalPayment('created')).toBe(false);
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
