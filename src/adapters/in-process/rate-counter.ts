import type { RateCounter } from '../../http/ports.ts';
import { ExpiringMap } from './expiring-map.ts';

/** Fixed-window counters of this one process, for the embedded single-process mode. */
export class InProcessRateCounter implements RateCounter {
  private readonly counters: ExpiringMap<number>;
  constructor(now?: () => number) {
    this.counters = new ExpiringMap(now);
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
    const count = (this.counters.get(key) ?? 0) + 1;
    if (count === 1) this.counters.set(key, 1, windowMs);
    else this.counters.set(key, count, this.counters.ttl(key));
    return { count, resetMs: this.counters.ttl(key) };
  }
}
