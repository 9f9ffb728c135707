// @ts-expect-error autocannon ships no type declarations
import autocannon from 'autocannon';
import type pg from 'pg';

/** What one measured run produced: the rate of the operations that counted, and their latency. */
export interface Measurement {
  /** Counted operations per second (successful holds, answered reads, ...). */
  rate: number;
  /** Counted operations in total. */
  count: number;
  p50: number;
  p99: number;
  /** Anything the scenario wants to show beside the numbers (status counts, errors). */
  note?: string;
}

export interface HttpLoad {
  url: string;
  method?: 'GET' | 'POST';
  body?: unknown;
  /** A new body for every request instead of the one `body` (a fresh customer each time, say). */
  nextBody?: () => unknown;
  connections: number;
  seconds: number;
  /** The status that counts as the operation succeeding. */
  expectStatus: number;
}

/** A fixed request repeated by autocannon over keep-alive connections for `seconds`. */
export async function autocannonLoad(load: HttpLoad): Promise<Measurement> {
  const hasBody = load.body !== undefined || load.nextBody !== undefined;
  const result = await autocannon({
    url: load.url,
    method: load.method ?? 'GET',
    connections: load.connections,
    duration: load.seconds,
    headers: hasBody ? { 'content-type': 'application/json' } : {},
    body: load.body === undefined ? undefined : JSON.stringify(load.body),
    ...(load.nextBody
      ? {
          requests: [
            {
              setupRequest: (req: Record<string, unknown>) => ({ ...req, body: JSON.stringify(load.nextBody?.()) }),
            },
          ],
        }
      : {}),
  });
  const statuses = Object.fromEntries(
    Object.entries(result.statusCodeStats as Record<string, { count: number }>).map(([s, v]) => [s, v.count]),
  );
  const count = statuses[String(load.expectStatus)] ?? 0;
  const other = Object.entries(statuses).filter(([s]) => s !== String(load.expectStatus));
  const errors = (result.errors as number) + (result.timeouts as number);
  return {
    rate: count / load.seconds,
    count,
    p50: result.latency.p50,
    p99: result.latency.p99,
    note: [...other.map(([s, n]) => `${n}x${s}`), ...(errors ? [`${errors} errors`] : [])].join(' ') || undefined,
  };
}

/**
 * Runs `workers` concurrent loops, each doing the operation `next` hands it until it hands none;
 * an operation resolves true when it counted. Its latency is measured when it counted.
 */
async function measured(workers: number, next: (worker: number) => (() => Promise<boolean>) | null): Promise<Measurement> {
  const latencies: number[] = [];
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let op = next(w); op; op = next(w)) {
        const t0 = performance.now();
        if (await op()) latencies.push(performance.now() - t0);
        else failed++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return {
    rate: latencies.length / elapsed,
    count: latencies.length,
    ...percentiles(latencies),
    note: failed ? `${failed} not counted` : undefined,
  };
}

/** Runs `op` on `workers` concurrent loops for `seconds`; `op` resolves true when it counted. */
export function loopLoad(workers: number, seconds: number, op: (worker: number) => Promise<boolean>): Promise<Measurement> {
  const until = performance.now() + seconds * 1000;
  return measured(workers, (w) => (performance.now() < until ? () => op(w) : null));
}

/** Runs `op` once per item with at most `workers` in flight; measures like `loopLoad`. */
export function itemsLoad<T>(items: T[], workers: number, op: (item: T) => Promise<boolean>): Promise<Measurement> {
  let next = 0;
  return measured(workers, () => {
    if (next >= items.length) return null;
    const item = items[next++] as T;
    return () => op(item);
  });
}

export function percentiles(values: number[]): { p50: number; p99: number } {
  if (values.length === 0) return { p50: NaN, p99: NaN };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p99: at(0.99) };
}

/** A pg client per worker, checked out for the whole run, as a plain loop would hold them. */
export async function checkoutClients(pool: pg.Pool, n: number): Promise<pg.PoolClient[]> {
  return Promise.all(Array.from({ length: n }, () => pool.connect()));
}

/**
 * Runs each contender for a slice of the time, in turn, `rounds` times, so that noise from other
 * work on a shared machine falls on all of them alike. Every other round runs them in the reverse
 * order (A B, B A, A B, ...): a load that drifts during the run (a table that grows, a checkpoint,
 * a neighbour's job winding down) would otherwise always favour the contender that runs first, and
 * with an even number of rounds a steady drift falls on all of them equally. Rates add up over the
 * rounds; p50 and p99 are the medians of the rounds' values.
 */
type Contender = (seconds: number) => Promise<Measurement>;
export async function interleaved<C extends Contender[]>(
  rounds: number,
  contenders: [...C],
  seconds: number,
): Promise<{ [K in keyof C]: Measurement }> {
  const slice = Math.max(1, Math.round(seconds / rounds));
  const runs = contenders.map((run) => ({ run, results: [] as Measurement[] }));
  for (let r = 0; r < rounds; r++) {
    for (const c of r % 2 === 0 ? runs : [...runs].reverse()) c.results.push(await c.run(slice));
  }
  return runs.map((c) => merge(c.results)) as { [K in keyof C]: Measurement };
}

/** Several measurements of one contender as one: rates add up over their time, p50 and p99 are the medians. */
export function merge(parts: Measurement[]): Measurement {
  const count = parts.reduce((s, m) => s + m.count, 0);
  const seconds = parts.reduce((s, m) => s + (m.rate > 0 ? m.count / m.rate : 0), 0);
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const notes = parts.map((m) => m.note).filter(Boolean);
  return {
    rate: seconds > 0 ? count / seconds : 0,
    count,
    p50: median(parts.map((m) => m.p50)),
    p99: median(parts.map((m) => m.p99)),
    note: notes.length ? notes.join('; ') : undefined,
  };
}
