import type { PulseTally, SalePulseStore } from '../../app/ports.ts';

/** How many seconds are kept: readers only look a few seconds back. */
const KEEP_SECONDS = 300;

/** The per-second counters in this process, for the one-process embedded mode. */
export class InProcessSalePulseStore implements SalePulseStore {
  private readonly seconds = new Map<number, PulseTally>();

  async add(second: number, tally: PulseTally): Promise<void> {
    let stored = this.seconds.get(second);
    if (!stored) this.seconds.set(second, (stored = {}));
    for (const [field, count] of Object.entries(tally)) stored[field] = (stored[field] ?? 0) + count;
    for (const old of this.seconds.keys()) if (old < second - KEEP_SECONDS) this.seconds.delete(old);
  }

  async read(seconds: number[]): Promise<PulseTally[]> {
    return seconds.map((s) => ({ ...this.seconds.get(s) }));
  }
}
