import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import type { ExpiryPath, HoldRejection, Metrics } from '../../app/ports.ts';
import { RequestLatencyHistogram } from './request-latency.ts';

/** Values read from the live system at each scrape rather than counted as things happen. */
export interface ScrapeSources {
  availableStock(): Promise<{ id: number; available: number }[]>;
  queueDepth(): Promise<number>;
}

/** A scrape must answer even when a source hangs (the queue's connection waits for Redis forever). */
const SOURCE_TIMEOUT_MS = 1_000;
const withTimeout = <T>(p: Promise<T>): Promise<T> =>
  Promise.race([
    p,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), SOURCE_TIMEOUT_MS).unref()),
  ]);

type WebhookOutcome = Parameters<Metrics['webhookHandled']>[0];
const REJECTIONS: HoldRejection[] = [
  'insufficient_stock_mirror',
  'insufficient_stock_db',
  'product_not_found',
  'sale_window',
  'customer_required',
  'purchase_limit',
];
/** Seconds; the upper bounds of the HTTP latency histogram's buckets. */
export const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const EXPIRY_PATHS: ExpiryPath[] = ['job', 'sweeper', 'request'];
const WEBHOOK_OUTCOMES: WebhookOutcome[] = ['applied', 'ignored', 'pending', 'late', 'replayed', 'key_reused'];

/**
 * The Metrics port in Prometheus terms, with its own registry (not prom-client's global one), so
 * several runtimes in one process never share or collide. The only module that uses prom-client.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly httpDuration: RequestLatencyHistogram;
  private readonly holdsCreated: Counter;
  private readonly heldUnits: Counter;
  private readonly holdsRejected: Counter<'reason'>;
  private readonly holdsExpired: Counter<'path'>;
  private readonly expiryLag: Histogram<'path'>;
  private readonly holdsReleased: Counter;
  private readonly ordersCreated: Counter;
  private readonly webhooks: Counter<'outcome'>;
  private readonly payments: Counter<'status'>;
  private readonly mirrorRepairs: Counter;
  private readonly ordersCancelled: Counter<'path'>;
  private readonly cancelLag: Histogram<'path'>;
  private readonly latePayments: Counter;

  constructor(
    sources: ScrapeSources,
    opts: { processMetrics?: boolean; onScrapeError?: (err: unknown, source: string) => void } = {},
  ) {
    const registers = [this.registry];
    const failed = (source: string) => (err: unknown) => opts.onScrapeError?.(err, source);
    this.httpDuration = new RequestLatencyHistogram(
      'flashsale_http_request_duration_seconds',
      'HTTP request latency by method, route pattern and status code',
      HTTP_BUCKETS,
    );
    // The registry reads it as it reads a prom-client histogram (name, help, type, get()).
    this.registry.registerMetric(this.httpDuration as unknown as Metric);
    this.holdsCreated = new Counter({ name: 'flashsale_holds_created_total', help: 'Holds placed', registers });
    this.heldUnits = new Counter({ name: 'flashsale_held_units_total', help: 'Units reserved by the holds placed', registers });
    this.holdsRejected = new Counter({
      name: 'flashsale_holds_rejected_total',
      help: 'Hold requests refused, by reason (refused by the Redis mirror, by the database, unknown product, outside the sale window, without a customer, past the limit per customer)',
      labelNames: ['reason'],
      registers,
    });
    this.holdsExpired = new Counter({
      name: 'flashsale_holds_expired_total',
      help: 'Holds expired, by the path that expired them: job, sweeper or request',
      labelNames: ['path'],
      registers,
    });
    this.expiryLag = new Histogram({
      name: 'flashsale_hold_expiry_lag_seconds',
      help: 'How long after its expires_at a hold really expired, by path',
      labelNames: ['path'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    });
    this.holdsReleased = new Counter({
      name: 'flashsale_holds_released_total',
      help: 'Holds released early by the client',
      registers,
    });
    this.ordersCreated = new Counter({ name: 'flashsale_orders_created_total', help: 'Orders created from holds', registers });
    this.webhooks = new Counter({
      name: 'flashsale_webhooks_total',
      help: 'Payment webhooks handled, by outcome',
      labelNames: ['outcome'],
      registers,
    });
    this.payments = new Counter({
      name: 'flashsale_payments_settled_total',
      help: 'Payments applied to orders, by the status they gave the order: paid or failed',
      labelNames: ['status'],
      registers,
    });
    this.ordersCancelled = new Counter({
      name: 'flashsale_orders_cancelled_total',
      help: 'Orders still unpaid at their payment deadline, cancelled (stock returned), by path: job, sweeper or request',
      labelNames: ['path'],
      registers,
    });
    this.cancelLag = new Histogram({
      name: 'flashsale_order_cancel_lag_seconds',
      help: 'How long after its payment_due_at an unpaid order was really cancelled, by path',
      labelNames: ['path'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
      registers,
    });
    this.latePayments = new Counter({
      name: 'flashsale_late_payments_total',
      help: 'Payments that arrived for an order already cancelled: the order stays cancelled and owes a refund',
      registers,
    });
    this.mirrorRepairs = new Counter({
      name: 'flashsale_mirror_repairs_total',
      help: 'Products whose Redis mirror the reconciler found missing or different and repaired',
      registers,
    });
    new Gauge({
      name: 'flashsale_product_available_stock',
      help: 'Available stock per product, read from PostgreSQL at scrape time',
      labelNames: ['product_id'],
      registers,
      async collect() {
        try {
          const rows = await withTimeout(sources.availableStock());
          this.reset(); // a product that is gone leaves no stale series behind
          for (const r of rows) this.set({ product_id: String(r.id) }, r.available);
        } catch (err) {
          failed('availableStock')(err);
        }
      },
    });
    new Gauge({
      name: 'flashsale_expiry_queue_depth',
      help: 'Deadline jobs (hold expiry, order payment) scheduled and not yet done (delayed, waiting or running)',
      registers,
      async collect() {
        try {
          this.set(await withTimeout(sources.queueDepth()));
        } catch (err) {
          failed('queueDepth')(err);
        }
      },
    });
    // Every labelled series exists from the start, so rate() and alerts see a 0 rather than nothing.
    for (const reason of REJECTIONS) this.holdsRejected.inc({ reason }, 0);
    for (const path of EXPIRY_PATHS) {
      this.holdsExpired.inc({ path }, 0);
      this.expiryLag.zero({ path });
      this.ordersCancelled.inc({ path }, 0);
      this.cancelLag.zero({ path });
    }
    for (const outcome of WEBHOOK_OUTCOMES) this.webhooks.inc({ outcome }, 0);
    for (const status of ['paid', 'failed']) this.payments.inc({ status }, 0);
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  holdPlaced(quantity: number): void {
    this.holdsCreated.inc();
    this.heldUnits.inc(quantity);
  }
  holdRejected(reason: HoldRejection): void {
    this.holdsRejected.inc({ reason });
  }
  holdExpired(path: ExpiryPath, lagMs: number): void {
    this.holdsExpired.inc({ path });
    this.expiryLag.observe({ path }, Math.max(0, lagMs) / 1000);
  }
  holdReleased(): void {
    this.holdsReleased.inc();
  }
  orderCreated(): void {
    this.ordersCreated.inc();
  }
  webhookHandled(outcome: WebhookOutcome): void {
    this.webhooks.inc({ outcome });
  }
  paymentSettled(status: 'paid' | 'failed'): void {
    this.payments.inc({ status });
  }
  orderCancelled(path: ExpiryPath, lagMs: number): void {
    this.ordersCancelled.inc({ path });
    this.cancelLag.observe({ path }, Math.max(0, lagMs) / 1000);
  }
  latePayment(): void {
    this.latePayments.inc();
  }
  mirrorRepaired(count: number): void {
    if (count > 0) this.mirrorRepairs.inc(count);
  }

  /** HTTP requests of one route pattern (never the raw URL, which would explode). */
  requestTimer(route: string): (method: string, statusCode: number, seconds: number) => void {
    return this.httpDuration.recorder(route);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
