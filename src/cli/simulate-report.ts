import type { EndpointStats, HoldRecord, SaleRecord } from './sale-load.ts';

export interface Check {
  name: string;
  /** null: could not be checked in this run (the detail says why). */
  ok: boolean | null;
  detail: string;
}

export interface EndpointSummary {
  endpoint: string;
  requests: number;
  per_second: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  statuses: Record<string, number>;
  errors: number;
}

export interface SimulationSummary {
  url: string;
  buyers: number;
  concurrency: number;
  products: { id: number; stock_on_offer: number; available_after: number | null }[];
  elapsed_s: number;
  sold_out_s: number | null;
  endpoints: EndpointSummary[];
  outcomes: Record<string, number>;
  checks: Check[];
  verdict: 'pass' | 'fail' | 'incomplete';
}

const quantile = (sorted: Float64Array, q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

export function summarizeEndpoints(sale: SaleRecord): EndpointSummary[] {
  const seconds = (sale.endedAt - sale.startedAt) / 1000;
  return [...sale.endpoints.entries()].map(([endpoint, s]: [string, EndpointStats]) => {
    const sorted = Float64Array.from(s.latencies).sort();
    return {
      endpoint,
      requests: s.latencies.length + s.errors,
      per_second: Math.round(s.latencies.length / seconds),
      p50_ms: round(quantile(sorted, 0.5)),
      p95_ms: round(quantile(sorted, 0.95)),
      p99_ms: round(quantile(sorted, 0.99)),
      statuses: Object.fromEntries(Object.entries(s.statuses).map(([k, v]) => [k, v])),
      errors: s.errors,
    };
  });
}

const round = (n: number) => (Number.isFinite(n) ? Math.round(n * 10) / 10 : NaN);

function grid(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The human report: endpoints, outcomes, sell-out time, and the verdict on the invariants. */
export function renderSummary(s: SimulationSummary): string {
  const endpoints = grid(
    ['endpoint', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'statuses'],
    s.endpoints.map((e) => [
      e.endpoint,
      String(e.requests),
      String(e.per_second),
      String(e.p50_ms),
      String(e.p95_ms),
      String(e.p99_ms),
      Object.entries(e.statuses)
        .map(([k, v]) => `${k}:${v}`)
        .join(' ') + (e.errors ? ` errors:${e.errors}` : ''),
    ]),
  );
  const outcomes = grid(
    ['outcome', 'count'],
    Object.entries(s.outcomes).map(([k, v]) => [k, String(v)]),
  );
  const products = grid(
    ['product', 'on offer', 'available after'],
    s.products.map((p) => [String(p.id), String(p.stock_on_offer), p.available_after === null ? '?' : String(p.available_after)]),
  );
  const checks = s.checks.map((c) => `  [${c.ok === null ? 'skip' : c.ok ? ' ok ' : 'FAIL'}] ${c.name}: ${c.detail}`).join('\n');
  return [
    `Flash sale against ${s.url}: ${s.buyers} buyers, ${s.concurrency} at a time, ${s.elapsed_s.toFixed(2)} s.`,
    s.sold_out_s === null ? 'Not sold out.' : `Sold out after ${s.sold_out_s.toFixed(2)} s.`,
    '',
    endpoints,
    '',
    outcomes,
    '',
    products,
    '',
    `Invariants (${s.verdict.toUpperCase()}):`,
    checks,
    '',
  ].join('\n');
}

/** A progress bar on stderr, drawn only when stderr is a terminal. */
export function progressBar(total: number): { update(done: number): void; end(): void } {
  if (!process.stderr.isTTY) return { update() {}, end() {} };
  const started = performance.now();
  let last = 0;
  const draw = (done: number) => {
    const width = 30;
    const filled = Math.round((done / total) * width);
    const rate = done / ((performance.now() - started) / 1000 || 1);
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} buyers  ${Math.round(rate)} buyers/s `,
    );
  };
  return {
    update(done) {
      const now = performance.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done);
    },
    end() {
      process.stderr.write('\n');
    },
  };
}

/** What became of the buyers and their holds, as the run counted them. */
export function outcomes(holds: HoldRecord[], refused: number, buyers: number): Record<string, number> {
  const count = (f: (h: HoldRecord) => boolean) => holds.filter(f).length;
  return {
    buyers,
    holds_granted: holds.length,
    cart_lines_granted: holds.reduce((n, h) => n + h.lines.length, 0),
    holds_refused_no_stock: refused,
    ordered: count((h) => h.fate === 'ordered'),
    order_refused: count((h) => h.fate === 'order-refused'),
    released: count((h) => h.fate === 'released'),
    abandoned: count((h) => h.fate === 'abandoned'),
    paid: count((h) => h.order?.payment === 'paid' && h.order.paymentApplied),
    payment_failed: count((h) => h.order?.payment === 'failed' && h.order.paymentApplied),
    unpaid: count((h) => h.order?.payment === 'unpaid'),
  };
}
