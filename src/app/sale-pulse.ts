import type { HoldLatencyView, SaleRatesView } from '../contract/dashboard.ts';
import { latencyBucket, quantile } from './latency-sketch.ts';
import type { ExpiryPath, HoldRejection, Logger, Metrics, PulseTally, SalePulseStore } from './ports.ts';

/**
 * Why a hold request was refused, as the dashboard counts it: every reason of the use case (the
 * sale's rules too: outside the product's sale window, no customer for a product limited per
 * customer, over that limit) and the rate limit.
 */
export const REFUSAL_REASONS = [
  'insufficient_stock_mirror',
  'insufficient_stock_db',
  'product_not_found',
  'sale_window',
  'customer_required',
  'purchase_limit',
  'rate_limited',
] as const satisfies readonly (HoldRejection | 'rate_limited')[];
export type RefusalReason = (typeof REFUSAL_REASONS)[number];
// A reason the use case gains and the dashboard does not list fails the typecheck here.
const everyReasonListed: [Exclude<HoldRejection, RefusalReason>] extends [never] ? true : never = true;
void everyReasonListed;

/** No refusal of any reason: the rates of a second with nothing counted. */
export const noRefusals = (): Record<RefusalReason, number> =>
  Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<RefusalReason, number>;

/** What the whole sale did per second, as the dashboard's contract has it. */
export type SaleRates = SaleRatesView;
/** Latency of POST /api/holds answers, in milliseconds, over all processes. */
export type HoldLatency = HoldLatencyView;
// The contract's refusal reasons are the ones counted here, no more and no fewer.
const sameReasons: [keyof SaleRates['holds_refused']] extends [RefusalReason]
  ? [RefusalReason] extends [keyof SaleRates['holds_refused']]
    ? true
    : never
  : never = true;
void sameReasons;

const LATENCY_PREFIX = 'lat_';
// Field names built once: a storm counts two per request (decision 26).
const REFUSED_FIELDS = Object.fromEntries(REFUSAL_REASONS.map((r) => [r, `refused_${r}`])) as Record<RefusalReason, string>;
const latencyFields: string[] = [];
const latencyField = (bucket: number): string => (latencyFields[bucket] ??= LATENCY_PREFIX + bucket);
const FLUSH_OFFSET_MS = 50;

/**
 * This process's share of the sale's per-second figures. Counting is a few additions in memory;
 * just after each second ends, what was counted in it goes to the shared store in one command,
 * so the request path never waits for the store and the store sees a few commands a second
 * per process. A second's counters are read back once every process has added its share.
 */
export class SalePulse implements Metrics {
  private readonly pending = new Map<number, PulseTally>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Flushes that failed since the last one that reached the store. */
  private lostFlushes = 0;

  constructor(
    private readonly store: SalePulseStore,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  private count(field: string, n = 1): void {
    const second = Math.floor(this.now() / 1000);
    let tally = this.pending.get(second);
    if (!tally) this.pending.set(second, (tally = {}));
    tally[field] = (tally[field] ?? 0) + n;
  }

  holdPlaced(): void {
    this.count('holds_placed');
  }
  holdRejected(reason: HoldRejection): void {
    this.count(REFUSED_FIELDS[reason]);
  }
  holdExpired(_path: ExpiryPath): void {
    this.count('holds_expired');
  }
  holdReleased(): void {}
  orderCreated(): void {
    this.count('orders_created');
  }
  webhookHandled(): void {}
  paymentSettled(status: 'paid' | 'failed'): void {
    this.count(`payments_${status}`);
  }
  orderCancelled(): void {}
  latePayment(): void {}
  mirrorRepaired(): void {}

  /** One answered POST /api/holds: its latency, and a refusal by the rate limit (429). */
  holdAnswered(ms: number, statusCode: number): void {
    this.count(latencyField(latencyBucket(ms)));
    if (statusCode === 429) this.count(REFUSED_FIELDS.rate_limited);
  }

  /** Adds the seconds that are over (all of them with `everything`) to the shared store. */
  flush(everything = false): Promise<void> {
    const current = Math.floor(this.now() / 1000);
    const due = [...this.pending].filter(([second]) => everything || second < current);
    for (const [second] of due) this.pending.delete(second);
    this.flushing = this.flushing.then(() =>
      Promise.all(due.map(([second, tally]) => this.store.add(second, tally))).then(
        () => this.storeAnswered(due.length),
        // A lost second shows as a dip on the dashboard; the sale itself never depends on it.
        (err: unknown) => this.storeFailed(err),
      ),
    );
    return this.flushing;
  }

  /**
   * A store that is down fails every second: the first failure is logged, the others counted, and
   * the first second added again ends the outage with how many were lost (one line each way, as
   * the clients log their connections' outages).
   */
  private storeFailed(err: unknown): void {
    if (this.lostFlushes++ === 0) {
      this.log.warn(
        { err },
        'could not add this second to the live dashboard figures; further failures are counted until one is added',
      );
    }
  }

  private storeAnswered(seconds: number): void {
    if (seconds === 0 || this.lostFlushes === 0) return;
    this.log.info(
      { lostFlushes: this.lostFlushes },
      `live dashboard figures are added again after ${this.lostFlushes} failed flushes`,
    );
    this.lostFlushes = 0;
  }

  /** Flushes just after every second boundary, until stopped. */
  start(): void {
    const schedule = () => {
      this.timer = setTimeout(
        () => {
          void this.flush();
          schedule();
        },
        1000 - (this.now() % 1000) + FLUSH_OFFSET_MS,
      );
      this.timer.unref();
    };
    if (!this.timer) schedule();
  }

  /** Stops the timer and adds everything counted so far, the current second too. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush(true);
  }
}

/**
 * How long after a second ends its counters are read: every process adds a second's counters
 * about 50 ms after it ends, so two seconds leave room for a busy event loop.
 */
export const PULSE_READ_LAG_SECONDS = 2;
/** Latency quantiles are over this many seconds, so that a quiet second does not make them jump. */
export const LATENCY_WINDOW_SECONDS = 5;

/** The sale-wide rates of epoch second `second`, and the hold latency over the seconds up to it. */
export async function readPulse(store: SalePulseStore, second: number): Promise<{ rates: SaleRates; latency: HoldLatency }> {
  const seconds = Array.from({ length: LATENCY_WINDOW_SECONDS }, (_, i) => second - LATENCY_WINDOW_SECONDS + 1 + i);
  const tallies = await store.read(seconds);
  const last = tallies[tallies.length - 1] ?? {};
  const n = (field: string) => last[field] ?? 0;
  const buckets = new Map<number, number>();
  for (const tally of tallies) {
    for (const [field, count] of Object.entries(tally)) {
      if (!field.startsWith(LATENCY_PREFIX)) continue;
      const bucket = Number(field.slice(LATENCY_PREFIX.length));
      buckets.set(bucket, (buckets.get(bucket) ?? 0) + count);
    }
  }
  let samples = 0;
  for (const count of buckets.values()) samples += count;
  const round = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);
  return {
    rates: {
      holds_placed: n('holds_placed'),
      holds_refused: Object.fromEntries(REFUSAL_REASONS.map((r) => [r, n(`refused_${r}`)])) as Record<RefusalReason, number>,
      holds_expired: n('holds_expired'),
      orders_created: n('orders_created'),
      payments_paid: n('payments_paid'),
      payments_failed: n('payments_failed'),
    },
    latency: { p50: round(quantile(buckets, 0.5)), p99: round(quantile(buckets, 0.99)), samples },
  };
}
