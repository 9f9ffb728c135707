import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.ts';
import { TEST_REDIS_URL } from '../helpers/env.ts';
import { freePort } from '../helpers/free-port.ts';
import { parseMetrics } from '../helpers/metrics.ts';
import { eventually, TestService } from '../helpers/service.ts';

let METRICS_PORT: number;
const PREFIX = `wk${randomBytes(4).toString('hex')}:`;

const get = async (path: string) => {
  const res = await request(`http://127.0.0.1:${METRICS_PORT}${path}`);
  return { status: res.statusCode, text: await res.body.text() };
};

describe('flashsale worker with METRICS_PORT', () => {
  let api: TestService;
  let worker: ReturnType<typeof startCli>;
  beforeAll(async () => {
    // An API without a worker of its own: the worker process below expires its holds.
    // Its own database: the worker's sweeper expires every overdue hold it finds and the metrics
    // below count them all, so holds other test files left behind must not be there.
    METRICS_PORT = await freePort();
    api = await TestService.start({ worker: 'none', holdTtlSeconds: 1, env: { REDIS_PREFIX: PREFIX }, ownDatabase: true });
    worker = startCli(['worker'], {
      DATABASE_URL: api.databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: PREFIX,
      METRICS_PORT: String(METRICS_PORT),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    });
    await eventually(
      () => get('/health/ready').catch(() => ({ status: 0 })),
      (r) => r.status === 200,
      30_000,
      100,
    );
  });
  afterAll(async () => {
    if (worker.exitCode === null) worker.kill('SIGKILL');
    await api.close();
  });

  it('serves the expiries it made on /metrics, and stops on SIGTERM', async () => {
    const id = await api.createProduct(3);
    await api.placeHold(id, 1);
    await api.placeHold(id, 2);
    await eventually(
      () => api.dbAvailable(id),
      (a) => a === 3,
    );
    const metrics = parseMetrics((await get('/metrics')).text);
    expect(
      (metrics.get('flashsale_holds_expired_total{path="job"}') ?? 0) +
        (metrics.get('flashsale_holds_expired_total{path="sweeper"}') ?? 0),
    ).toBe(2);
    expect(
      metrics.get('flashsale_hold_expiry_lag_seconds_count{path="job"}')! +
        metrics.get('flashsale_hold_expiry_lag_seconds_count{path="sweeper"}')!,
    ).toBe(2);
    expect(metrics.get(`flashsale_product_available_stock{product_id="${id}"}`)).toBe(3);
    expect((await get('/health/live')).status).toBe(200);
    expect((await get('/api/products')).status).toBe(404); // the worker serves no API

    const exited = new Promise<number | null>((resolve) => worker.once('exit', resolve));
    worker.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
