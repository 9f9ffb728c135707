import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis } from '../../src/adapters/redis/client.ts';
import { TEST_REDIS_URL } from '../helpers/env.ts';
import { freePorts } from '../helpers/free-port.ts';
import { eventually } from '../helpers/service.ts';

/**
 * `flashsale serve` with nothing configured but a fresh data folder and ports: the embedded
 * PostgreSQL and the in-process stand-ins, through the real CLI, across a restart.
 */
let PG_PORT: string;
let HTTP_PORT: number;
let SECOND_HTTP_PORT: number;

interface Served {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

let tmp: string;
let dataDir: string;
const running = new Set<ChildProcess>();

// Only what a fresh machine has: no DATABASE_URL, no REDIS_URL.
const env = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH!,
  DATA_DIR: dataDir,
  EMBEDDED_POSTGRES_PORT: PG_PORT,
  HOST: '127.0.0.1',
  LOG_LEVEL: 'info',
  ...extra,
});

function serve(port: number, extra: Record<string, string> = {}): Served {
  const child = spawn('node', ['bin/flashsale.js', 'serve'], {
    env: env({ PORT: String(port), ...extra }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  return { child, output: () => output, exited };
}

async function http(port: number, method: string, urlPath: string, body?: unknown) {
  const res = await request(`http://127.0.0.1:${port}${urlPath}`, {
    method: method as 'GET',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function ready(port: number, served: Served): Promise<void> {
  await eventually(
    async () => {
      if (served.child.exitCode !== null) throw new Error(`serve exited early:\n${served.output()}`);
      return http(port, 'GET', '/health/ready').then(
        (r) => r.status,
        () => 0,
      );
    },
    (status) => status === 200,
    90_000,
    250,
  );
}

async function stop(served: Served): Promise<number | null> {
  served.child.kill('SIGTERM');
  return served.exited;
}

const postmasterPid = async (): Promise<number> =>
  Number((await readFile(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

describe('zero-setup embedded mode through the CLI', () => {
  beforeAll(async () => {
    const [pg, http, secondHttp] = (await freePorts(3)) as [number, number, number];
    [PG_PORT, HTTP_PORT, SECOND_HTTP_PORT] = [String(pg), http, secondHttp];
    tmp = await mkdtemp(path.join(tmpdir(), 'flashsale-embedded-'));
    // Run as root, the embedded server runs as the `postgres` user, which must reach the folder.
    await chmod(tmp, 0o755);
  });
  afterAll(async () => {
    // After a failed assertion: stop what is left, servers first, then any PostgreSQL they leave.
    await Promise.all([...running].map((child) => new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM'))));
    for (const folder of ['restart', 'killed', 'with-redis']) {
      const pid = await readFile(path.join(tmp, folder, 'postgres', 'postmaster.pid'), 'utf8').catch(() => null);
      if (pid) process.kill(Number(pid.split('\n')[0]), 'SIGINT');
    }
    await new Promise((r) => setTimeout(r, 500));
    await rm(tmp, { recursive: true, force: true });
  });

  it('starts from an empty folder, takes hold → order → paid webhook, and keeps it all across a restart', async () => {
    dataDir = path.join(tmp, 'restart');
    const first = serve(HTTP_PORT);
    await ready(HTTP_PORT, first);
    expect(first.output()).toContain('created, migrated and seeded the embedded database');
    expect(existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);

    const product = await http(HTTP_PORT, 'GET', '/api/products/1');
    expect(product.body).toMatchObject({ id: 1, available_stock: 100, total_stock: 100 });

    const hold = await http(HTTP_PORT, 'POST', '/api/holds', { product_id: 1, quantity: 2 });
    expect(hold.status).toBe(201);
    const order = await http(HTTP_PORT, 'POST', '/api/orders', { hold_id: hold.body.hold_id });
    expect(order.status).toBe(201);
    const orderId = order.body.order_id as number;
    const paid = await http(HTTP_PORT, 'POST', '/api/payments/webhook', {
      order_id: orderId,
      payment_status: 'paid',
      idempotency_key: 'evt-e2e-1',
    });
    expect(paid.status).toBe(200);
    expect(paid.body.payment_status).toBe('paid');
    const replay = await http(HTTP_PORT, 'POST', '/api/payments/webhook', {
      order_id: orderId,
      payment_status: 'paid',
      idempotency_key: 'evt-e2e-1',
    });
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((await http(HTTP_PORT, 'GET', '/api/products/1')).body.available_stock).toBe(98);

    // Another command on the same folder joins the running server instead of starting a second.
    const check = await promisify(execFile)('node', ['bin/flashsale.js', 'check'], { env: env(), timeout: 60_000 });
    expect(check.stdout).toMatch(/^\s+1\s+100\s+98\s+0\s+2\s+n\/a\s+yes$/m);
    expect(check.stdout).toContain('All invariants hold for 4 product(s).');
    expect(check.stdout + check.stderr).toContain('using the embedded PostgreSQL another flashsale process started');

    // So does a second server; stopping it leaves the first one's database running.
    const second = serve(SECOND_HTTP_PORT);
    await ready(SECOND_HTTP_PORT, second);
    expect((await http(SECOND_HTTP_PORT, 'GET', `/api/orders/${orderId}`)).body.payment_status).toBe('paid');
    expect(await stop(second)).toBe(0);
    expect((await http(HTTP_PORT, 'GET', `/api/orders/${orderId}`)).body.payment_status).toBe('paid');

    // SIGTERM: the owner drains, then stops its PostgreSQL cleanly.
    const pgPid = await postmasterPid();
    expect(await stop(first)).toBe(0);
    expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
    expect(alive(pgPid)).toBe(false);

    const restarted = serve(HTTP_PORT);
    await ready(HTTP_PORT, restarted);
    expect(restarted.output()).not.toContain('created, migrated and seeded');
    const after = await http(HTTP_PORT, 'GET', `/api/orders/${orderId}`);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ order_id: orderId, hold_id: hold.body.hold_id, quantity: 2, payment_status: 'paid' });
    expect((await http(HTTP_PORT, 'GET', `/api/holds/${hold.body.hold_id}`)).body.status).toBe('confirmed');
    expect((await http(HTTP_PORT, 'GET', '/api/products/1')).body.available_stock).toBe(98);
    // The webhook's key was kept in the database: a replay after the restart still changes nothing.
    const lateReplay = await http(HTTP_PORT, 'POST', '/api/payments/webhook', {
      order_id: orderId,
      payment_status: 'paid',
      idempotency_key: 'evt-e2e-1',
    });
    expect(lateReplay.headers['idempotent-replayed']).toBe('true');
    expect(await stop(restarted)).toBe(0);
  });

  it('a server killed outright leaves its PostgreSQL running; the next start adopts it, loses nothing, and stops it', async () => {
    dataDir = path.join(tmp, 'killed');
    const first = serve(HTTP_PORT);
    await ready(HTTP_PORT, first);
    const hold = await http(HTTP_PORT, 'POST', '/api/holds', { product_id: 2, quantity: 5 });
    expect(hold.status).toBe(201);
    const pgPid = await postmasterPid();

    first.child.kill('SIGKILL');
    await first.exited;
    expect(alive(pgPid)).toBe(true);

    const second = serve(HTTP_PORT);
    await ready(HTTP_PORT, second);
    expect(second.output()).toContain('adopting the embedded PostgreSQL left running by a process that was killed');
    expect(await postmasterPid()).toBe(pgPid);
    expect((await http(HTTP_PORT, 'GET', `/api/holds/${hold.body.hold_id}`)).body).toMatchObject({
      status: 'active',
      quantity: 5,
    });
    expect((await http(HTTP_PORT, 'GET', '/api/products/2')).body.available_stock).toBe(45);

    expect(await stop(second)).toBe(0);
    // It is not this process's child: it may linger a moment as a zombie until init reaps it.
    await eventually(
      async () => alive(pgPid),
      (a) => !a,
      5_000,
    );
    expect(existsSync(path.join(dataDir, 'postgres', 'postmaster.pid'))).toBe(false);
  });

  it('REDIS_URL alone: the embedded PostgreSQL with the Redis mirror and the BullMQ queue', async () => {
    dataDir = path.join(tmp, 'with-redis');
    const prefix = `e2e${randomBytes(4).toString('hex')}:`;
    const redisEnv = { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix };
    const redis = createRedis(TEST_REDIS_URL, { enableOfflineQueue: true });
    const served = serve(HTTP_PORT, redisEnv);
    try {
      await ready(HTTP_PORT, served);
      const hold = await http(HTTP_PORT, 'POST', '/api/holds', { product_id: 4, quantity: 1 });
      expect(hold.status).toBe(201);
      expect(await redis.get(`${prefix}product:4:stock`)).toBe('19');
      expect(await redis.zscore(`${prefix}bull:hold-expiry:delayed`, hold.body.hold_id)).not.toBeNull();

      // With Redis, check compares the mirror too.
      const check = await promisify(execFile)('node', ['bin/flashsale.js', 'check'], { env: env(redisEnv), timeout: 60_000 });
      expect(check.stdout).toMatch(/^\s+4\s+20\s+19\s+1\s+0\s+19\s+yes$/m);
      expect(check.stdout).toContain('All invariants hold for 4 product(s).');
      expect(await stop(served)).toBe(0);
    } finally {
      const keys = await redis.keys(`${prefix}*`);
      const versionKeys = await redis.keys(`stockver:{${prefix}*`);
      if (keys.length + versionKeys.length > 0) await redis.del(...keys, ...versionKeys);
      redis.disconnect();
    }
  });
});
