import { Histogram, Registry, type Metric } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { HTTP_BUCKETS } from '../../src/adapters/metrics/prometheus.ts';
import { RequestLatencyHistogram } from '../../src/adapters/metrics/request-latency.ts';

const NAME = 'flashsale_http_request_duration_seconds';
const HELP = 'HTTP request latency by method, route pattern and status code';

/** The same answers timed by prom-client's Histogram and by ours, each in its own registry. */
function both() {
  const theirs = new Registry();
  const histogram = new Histogram({
    name: NAME,
    help: HELP,
    labelNames: ['method', 'route', 'status_code'],
    buckets: HTTP_BUCKETS,
    registers: [theirs],
  });
  const ours = new Registry();
  const mine = new RequestLatencyHistogram(NAME, HELP, HTTP_BUCKETS);
  ours.registerMetric(mine as unknown as Metric);
  const recorders = new Map<string, (method: string, status: number, seconds: number) => void>();
  const observe = (method: string, route: string, status: number, seconds: number) => {
    histogram.observe({ method, route, status_code: String(status) }, seconds);
    if (!recorders.has(route)) recorders.set(route, mine.recorder(route));
    recorders.get(route)!(method, status, seconds);
  };
  return { observe, theirs, ours, mine };
}

describe('the HTTP latency histogram', () => {
  it('writes the lines prom-client writes, for the same answers', async () => {
    const { observe, theirs, ours } = both();
    expect(await ours.metrics()).toBe(await theirs.metrics()); // no series yet
    const routes = ['/api/holds', '/api/products/:id', 'unmatched', '/odd/"quoted"\\path'];
    const values = [0, 0.0004, 0.001, 0.0010001, 0.003, 0.05, 0.7, 2.5, 9.99, 10, 11, 400];
    let n = 0;
    for (const value of values)
      for (const route of routes)
        for (const [method, status] of [
          ['GET', 200],
          ['POST', 409],
          ['HEAD', 200],
          ['POST', 201],
        ] as const) {
          if ((n++ * 7) % 3 === 0) continue; // not every series gets every value, and series start at different times
          observe(method, route, status, n % 2 === 0 ? value : value + n / 1e7);
        }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('gives two recorders of one route the same series, and refuses what is not a number as prom-client does', async () => {
    const { observe, theirs, ours, mine } = both();
    observe('GET', '/x', 200, 0.002);
    mine.recorder('/x')('GET', 200, 0.003);
    expect(await ours.metrics()).toContain(`${NAME}_count{method="GET",route="/x",status_code="200"} 2`);
    expect(await theirs.metrics()).toContain(`${NAME}_count{method="GET",route="/x",status_code="200"} 1`);
    expect(() => mine.recorder('/x')('GET', 200, Number.NaN)).toThrow(TypeError);
  });
});
