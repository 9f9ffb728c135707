import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertProduct } from '../../src/adapters/postgres/products.ts';
import { createRedis } from '../../src/adapters/redis/client.ts';
import { RedisStockMirror } from '../../src/adapters/redis/stock-mirror.ts';
import { checkInvariants } from '../../src/app/reconcile.ts';
import { processCount } from '../../src/cli/serve-processes.ts';
import { startCli } from '../helpers/cli.ts';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/env.ts';
import { freePort } from '../helpers/free-port.ts';
import { countBy, eventually } from '../helpers/service.ts';

const run = promisify(execFile);

/** The pids of the API processes a primary runs (not its other children, such as the TypeScript loader's). */
async function children(pid: number): Promise<number[]> {
  const out = await run('pgrep', ['-P', String(pid), '-f', 'flashsale']).catch(() => ({ stdout: '' }));
  return out.stdout.split('\n').filter(Boolean).map(Number).sort();
}

describe('flashsale serve --processes 2: two API processes on one port', () => {
  const prefix = `pr${randomBytes(4).toString('hex')}:`;
  let base: string;
  let server: ReturnType<typeof startCli>;
  let pool: pg.Pool;
  const redis = createRedis(TEST_REDIS_URL, { enableOfflineQueue: true });
  const agent = new Agent({ connections: 600, pipelining: 0 });

  const ready = () =>
    eventually(
      () =>
        request(`${base}/health/ready`).then(
          (r) => r.body.text().then(() => r.statusCode),
          () => 0,
        ),
      (status) => status === 200,
      60_000,
      100,
    );

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 4 });
    server = startCli(['serve', '--processes', '2'], {
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATABASE_POOL_SIZE: '10',
    });
    await ready();
    // Both must be listening before the storm, or one process would take it all.
    await eventually(
      async () => (await children(server.pid!)).length,
      (n) => n === 2,
      30_000,
    );
  });
  afterAll(async () => {
    if (server.exitCode === null) server.kill('SIGKILL');
    await agent.close();
    await pool.end();
    redis.disconnect();
  });

  it('500 buyers, 50 units over one port: exactly 50 holds, 450 rejections, answered by both processes, no oversell at any sample', async () => {
    const product = await insertProduct(pool, { name: 'two processes', price: 5, stock: 50 });
    let storming = true;
    const violations: string[] = [];
    let samples = 0;
    const mirror = new RedisStockMirror(redis, prefix);
    const sampler = (async () => {
      while (storming) {
        const report = await checkInvariants({ pool, mirror }, [product.id]);
        violations.push(...report.violations.filter((v) => v.invariant === 'I1').map((v) => v.message));
        samples++;
      }
    })();
    const results = await Promise.all(
      Array.from({ length: 500 }, async () => {
        const res = await request(`${base}/api/holds`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ product_id: product.id, quantity: 1 }),
        });
        return { status: res.statusCode, body: (await res.body.json()) as { type?: string; hold_id?: string } };
      }),
    );
    storming = false;
    await sampler;
    expect(samples).toBeGreaterThan(1);
    expect(violations).toEqual([]);
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 50, 409: 450 });
    for (const r of results.filter((r) => r.status === 409)) expect(r.body.type).toMatch(/\/insufficient-stock$/);
    const report = await checkInvariants({ pool, mirror }, [product.id]);
    expect(report.violations).toEqual([]);
    expect(report.figures[0]).toMatchObject({ available: 0, held: 50, mirrored: 0 });
    // Each process logs its own pid with every request it answered.
    const pids = new Set(
      server
        .output()
        .split('\n')
        .filter((line) => line.includes('"url":"/api/holds"'))
        .map((line) => (JSON.parse(line) as { pid: number }).pid),
    );
    expect([...pids].sort()).toEqual(await children(server.pid!));
    // Leave no active hold behind in the shared database for another test's sweeper to find.
    const released = await Promise.all(
      results
        .filter((r) => r.status === 201)
        .map((r) =>
          request(`${base}/api/holds/${r.body.hold_id}`, { method: 'DELETE', dispatcher: agent }).then(
            async (res) => (await res.body.dump(), res.statusCode),
          ),
        ),
    );
    expect(released.every((s) => s === 200)).toBe(true);
  });

  it('an API process killed with -9 is replaced, and the port keeps answering', async () => {
    const before = await children(server.pid!);
    process.kill(before[0]!, 'SIGKILL');
    const after = await eventually(
      () => children(server.pid!),
      (pids) => pids.length === 2 && !pids.includes(before[0]!),
      60_000,
      100,
    );
    expect(after).toContain(before[1]);
    await ready();
  });

  it('SIGTERM to the primary drains every process and exits 0, leaving no process behind', async () => {
    const workers = await children(server.pid!);
    const exited = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
    const signalled = Date.now();
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    // Each drained by itself: the primary's last resort (SIGKILL after 30 s) was not needed.
    expect(Date.now() - signalled).toBeLessThan(20_000);
    expect(server.output()).not.toMatch(/did not stop in time/);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
    expect(server.output()).toMatch(/every API process has stopped/);
  });
});

describe('how many API processes', () => {
  it('a number, or 0 and auto for one per core; anything else is refused', async () => {
    const { availableParallelism } = await import('node:os');
    expect(processCount('3')).toBe(3);
    expect(processCount('1')).toBe(1);
    expect(processCount('0')).toBe(availableParallelism());
    expect(processCount('auto')).toBe(availableParallelism());
    expect(() => processCount('-1')).toThrow(/--processes/);
    expect(() => processCount('two')).toThrow(/--processes/);
  });
});
