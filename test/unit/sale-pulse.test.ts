import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InProcessSalePulseStore } from '../../src/adapters/in-process/sale-pulse-store.ts';
import { latencyBucket, quantile } from '../../src/app/latency-sketch.ts';
import type { Logger } from '../../src/app/ports.ts';
import { readPulse, SalePulse } from '../../src/app/sale-pulse.ts';

const silent: Logger = { info() {}, warn() {}, error() {}, debug() {} };

describe('latency sketch', () => {
  it('every quantile is within 2.5% of the exact one, for any values from 0.02 ms to 60 s', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.02, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 500 }),
        fc.constantFrom(0.5, 0.9, 0.99),
        (values, q) => {
          const buckets = new Map<number, number>();
          for (const v of values) buckets.set(latencyBucket(v), (buckets.get(latencyBucket(v)) ?? 0) + 1);
          const sorted = [...values].sort((a, b) => a - b);
          const exact = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
          const estimate = quantile(buckets, q)!;
          expect(Math.abs(estimate - exact) / exact).toBeLessThanOrEqual(0.025);
        },
      ),
    );
  });

  it('has no quantile without values', () => {
    expect(quantile(new Map(), 0.5)).toBeNull();
  });
});

describe('SalePulse', () => {
  it('adds each finished second to the store once, and the current second only when stopped', async () => {
    let now = 1_700_000_000_100;
    const store = new InProcessSalePulseStore();
    const pulse = new SalePulse(store, silent, () => now);
    pulse.holdPlaced();
    pulse.holdPlaced();
    pulse.holdRejected('insufficient_stock_mirror');
    pulse.holdRejected('sale_window');
    pulse.holdRejected('sale_window');
    pulse.holdRejected('customer_required');
    pulse.holdRejected('purchase_limit');
    pulse.holdAnswered(12, 201);
    pulse.holdAnswered(30, 429);
    now += 1_000; // the next second
    pulse.orderCreated();
    pulse.paymentSettled('paid');
    pulse.paymentSettled('failed');
    pulse.holdExpired('job');
    await pulse.flush();
    await pulse.flush(); // nothing twice
    const { rates, latency } = await readPulse(store, 1_700_000_000);
    expect(rates).toEqual({
      holds_placed: 2,
      holds_refused: {
        insufficient_stock_mirror: 1,
        insufficient_stock_db: 0,
        product_not_found: 0,
        sale_window: 2,
        customer_required: 1,
        purchase_limit: 1,
        rate_limited: 1,
      },
      holds_expired: 0,
      orders_created: 0,
      payments_paid: 0,
      payments_failed: 0,
    });
    expect(latency.samples).toBe(2);
    // Within the sketch's 2.5%:
    expect(Math.abs(latency.p50! - 12) / 12).toBeLessThanOrEqual(0.025);
    expect(Math.abs(latency.p99! - 30) / 30).toBeLessThanOrEqual(0.025);
    expect((await readPulse(store, 1_700_000_001)).rates.orders_created).toBe(0); // not flushed yet: still current
    await pulse.stop();
    const next = await readPulse(store, 1_700_000_001);
    expect(next.rates).toMatchObject({ orders_created: 1, payments_paid: 1, payments_failed: 1, holds_expired: 1 });
    expect(next.latency.samples).toBe(2); // the window of five seconds still holds the earlier answers
  });

  it('a store that fails loses that second, never the process', async () => {
    const pulse = new SalePulse(
      {
        add: () => Promise.reject(new Error('down')),
        read: async () => [],
      },
      silent,
      () => 1_700_000_000_000,
    );
    pulse.holdPlaced();
    await expect(pulse.stop()).resolves.toBeUndefined();
  });

  it('a store that stays down is logged once, and once more when a second is added again', async () => {
    let now = 1_700_000_000_000;
    let down = true;
    const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
    const log = Object.fromEntries(
      ['debug', 'info', 'warn', 'error'].map((level) => [
        level,
        (fields: Record<string, unknown>, msg: string) => lines.push({ level, msg, fields }),
      ]),
    ) as unknown as Logger;
    const pulse = new SalePulse(
      { add: () => (down ? Promise.reject(new Error('down')) : Promise.resolve()), read: async () => [] },
      log,
      () => now,
    );
    for (let i = 0; i < 5; i++) {
      pulse.holdPlaced();
      now += 1_000;
      await pulse.flush();
    }
    expect(lines.map((l) => l.level)).toEqual(['warn']);
    // A second with nothing counted sends nothing, so it says nothing about the store.
    now += 1_000;
    down = false;
    await pulse.flush();
    expect(lines).toHaveLength(1);
    pulse.holdPlaced();
    now += 1_000;
    await pulse.flush();
    expect(lines.map((l) => [l.level, l.fields['lostFlushes']])).toEqual([
      ['warn', undefined],
      ['info', 5],
    ]);
    // Up again: each later failure starts a new outage, logged once.
    down = true;
    for (let i = 0; i < 3; i++) {
      pulse.holdPlaced();
      now += 1_000;
      await pulse.flush();
    }
    expect(lines.map((l) => l.level)).toEqual(['warn', 'info', 'warn']);
  });
});
