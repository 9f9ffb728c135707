import type { Pool } from '../adapters/postgres/db.ts';
import { readSaleFigures } from '../adapters/postgres/products.ts';
import type { ProductFiguresView, SaleSnapshotView } from '../contract/dashboard.ts';
import type { Logger, SalePulseStore } from './ports.ts';
import { noRefusals, PULSE_READ_LAG_SECONDS, readPulse } from './sale-pulse.ts';

/** After the boundary, so that the second before it is over everywhere. */
const TICK_OFFSET_MS = 100;

export type SnapshotListener = (snapshot: SaleSnapshotView) => void;

/**
 * Builds the sale's snapshot once per interval, only while somebody watches, and hands the same
 * snapshot to every open stream of this process: one query to PostgreSQL and one read of the
 * shared per-second counters per interval, however many dashboards are open.
 */
export class DashboardFeed {
  private readonly listeners = new Set<SnapshotListener>();
  private timer: NodeJS.Timeout | undefined;
  private building: Promise<void> | null = null;
  private last: SaleSnapshotView | null = null;
  private lastProducts: { at: string; products: ProductFiguresView[] } | null = null;

  constructor(
    private readonly deps: { pool: Pool; pulses: SalePulseStore; log: Logger; intervalMs?: number; now?: () => number },
  ) {}

  private get intervalMs(): number {
    return this.deps.intervalMs ?? 1000;
  }

  /** Calls `listener` with a snapshot now (or as soon as one is ready) and every interval; returns the unsubscribe. */
  subscribe(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    const now = (this.deps.now ?? Date.now)();
    if (this.last && now - Date.parse(this.last.at) < this.intervalMs) listener(this.last);
    else void this.tick();
    if (!this.timer) this.schedule();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  get watchers(): number {
    return this.listeners.size;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Ticks just after each interval boundary of the clock, so that with the default interval every
   * tick reads the next second's rates: a free-running timer would drift and now and then skip one.
   */
  private schedule(): void {
    const now = (this.deps.now ?? Date.now)();
    this.timer = setTimeout(
      () => {
        this.schedule();
        void this.tick();
      },
      this.intervalMs - (now % this.intervalMs) + TICK_OFFSET_MS,
    );
    this.timer.unref();
  }

  /** One snapshot for everyone; a tick that finds the previous one still being built waits for it instead. */
  private tick(): Promise<void> {
    this.building ??= this.build()
      .then((snapshot) => {
        this.last = snapshot;
        for (const listener of this.listeners) listener(snapshot);
      })
      .catch((err: unknown) => this.deps.log.warn({ err }, 'could not build the dashboard snapshot'))
      .finally(() => (this.building = null));
    return this.building;
  }

  private async build(): Promise<SaleSnapshotView> {
    const now = (this.deps.now ?? Date.now)();
    const second = Math.floor(now / 1000) - PULSE_READ_LAG_SECONDS;
    const [figures, pulse] = await Promise.allSettled([readSaleFigures(this.deps.pool), readPulse(this.deps.pulses, second)]);
    const warnings: string[] = [];
    if (figures.status === 'fulfilled') {
      this.lastProducts = {
        at: new Date(now).toISOString(),
        products: figures.value.map((r) => ({
          id: Number(r.id),
          name: r.name,
          total_stock: r.total_stock,
          available: r.available,
          held: r.held,
          ordered: r.ordered,
          paid: r.paid,
        })),
      };
    } else {
      warnings.push(`PostgreSQL: ${(figures.reason as Error).message}`);
    }
    if (pulse.status === 'rejected') warnings.push(`rates: ${(pulse.reason as Error).message}`);
    return {
      at: new Date(now).toISOString(),
      second,
      figures_at: this.lastProducts?.at ?? null,
      products: this.lastProducts?.products ?? [],
      rates: pulse.status === 'fulfilled' ? pulse.value.rates : emptyRates(),
      hold_latency_ms: pulse.status === 'fulfilled' ? pulse.value.latency : { p50: null, p99: null, samples: 0 },
      warnings,
    };
  }
}

const emptyRates = (): SaleSnapshotView['rates'] => ({
  holds_placed: 0,
  holds_refused: noRefusals(),
  holds_expired: 0,
  orders_created: 0,
  payments_paid: 0,
  payments_failed: 0,
});
