import { expect } from 'vitest';
import type { runScenario } from './scenario.ts';

/** How long after its expires_at a hold may still be active when every process is up. */
export const EXPIRY_BOUND_MS = 2_500;

export type Summary = Awaited<ReturnType<typeof runScenario>>;

/**
 * What every fault run must show once it settles: no oversell at any sampled moment, every hold
 * final within its TTL plus a bound, Redis equal to the database, `flashsale check` exits 0,
 * nothing acknowledged lost, and every failed request a clear problem or a refused connection to a
 * process that was down, never a hang.
 */
export function expectSurvived(s: Summary, bounds: { expiryLagMs?: number } = {}): void {
  expect(s.samples.violations, 'I1 at every sample').toEqual([]);
  expect(s.samples.samples).toBeGreaterThan(20);
  expect(s.settled.active, `holds still active ${s.settleBoundMs} ms after the sale`).toBe(0);
  expect(s.lags.maxLagMs, 'expiry lag').toBeLessThanOrEqual(bounds.expiryLagMs ?? EXPIRY_BOUND_MS);
  expect(s.invariants, 'I1 and I2 once quiet').toEqual([]);
  expect(s.cli.code, s.cli.output).toBe(0);
  expect(s.acked.problems, 'acknowledged writes').toEqual([]);
  expect(s.ledger, 'stock movements').toEqual([]);
  expect(s.requests.timeouts, 'client timeouts (hangs)').toBe(0);
  expect(s.requests.unexpected, JSON.stringify(s.logsOnFailure)).toEqual([]);
  expect(s.acked.holdsChecked).toBeGreaterThan(100);
  expect(s.acked.ordersChecked).toBeGreaterThan(30);
}
