import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { expect } from 'vitest';
import type { RedisClient } from '../../src/adapters/redis/client.ts';
import { insertProduct } from '../../src/adapters/postgres/products.ts';
import { checkInvariants } from '../../src/app/reconcile.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { buildApp } from '../../src/http/app.ts';
import { createRuntime, httpDependencies, type Runtime } from '../../src/runtime.ts';
import { startWorker, type BackgroundWork } from '../../src/worker.ts';
import { createOwnDatabase, type OwnDatabase } from './database.ts';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from './env.ts';

export interface TestServiceOptions {
  holdTtlSeconds?: number;
  /** 'full': BullMQ worker, sweeper and reconciler run in the process; 'none': nothing in the background. */
  worker?: 'full' | 'none';
  sweepIntervalMs?: number;
  reconcileIntervalMs?: number;
  webhookSecret?: string;
  env?: Record<string, string>;
  /**
   * A migrated database of its own, dropped on close: for tests whose process-wide effects (a
   * sweeper expiring every overdue hold, counts over whole tables, metrics per process) must not
   * meet what other test files left in the shared test database.
   */
  ownDatabase?: boolean;
}

export interface HttpResult<T = any> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
}

/**
 * The real service on an ephemeral port, against the test PostgreSQL and Redis, with its own
 * Redis prefix so tests never see each other's keys or queues.
 */
export class TestService {
  worker: BackgroundWork | null = null;
  private ownDatabase: OwnDatabase | null = null;
  readonly agent = new Agent({ connections: 1_000, pipelining: 0, keepAliveTimeout: 10_000 });

  private constructor(
    readonly rt: Runtime,
    readonly app: Awaited<ReturnType<typeof buildApp>>,
    readonly url: string,
    readonly config: Config,
  ) {}

  static async start(opts: TestServiceOptions = {}): Promise<TestService> {
    const ownDatabase = opts.ownDatabase ? await createOwnDatabase('svc') : null;
    const config = loadConfig({
      DATABASE_URL: ownDatabase?.url ?? TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: `t${randomBytes(4).toString('hex')}:`,
      HOLD_TTL_SECONDS: String(opts.holdTtlSeconds ?? 120),
      SWEEP_INTERVAL_MS: String(opts.sweepIntervalMs ?? 500),
      RECONCILE_INTERVAL_MS: String(opts.reconcileIntervalMs ?? 500),
      DATABASE_POOL_SIZE: '30',
      LOG_LEVEL: 'silent',
      ...(opts.webhookSecret ? { WEBHOOK_SECRET: opts.webhookSecret } : {}),
      ...opts.env,
    });
    const log = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
    const rt = createRuntime(config, log);
    const app = await buildApp(httpDependencies(rt), { logger: log });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const svc = new TestService(rt, app, `http://127.0.0.1:${port}`, config);
    svc.ownDatabase = ownDatabase;
    if ((opts.worker ?? 'full') === 'full') svc.startWorker();
    return svc;
  }

  startWorker(): void {
    this.worker ??= startWorker(this.rt);
  }

  async stopWorker(): Promise<void> {
    await this.worker?.close();
    this.worker = null;
  }

  async call<T = any>(
    method: 'GET' | 'POST' | 'DELETE' | 'PATCH',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<HttpResult<T>> {
    const raw = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const res = await request(this.url + path, {
      method,
      dispatcher: this.agent,
      headers: raw === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: raw,
    });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, body: parseBody(text) as T };
  }

  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.call<T>('POST', path, body, headers);
  }
  get<T = any>(path: string) {
    return this.call<T>('GET', path);
  }
  del<T = any>(path: string) {
    return this.call<T>('DELETE', path);
  }

  /** A fresh product owned by the calling test. */
  async createProduct(stock: number, price = 10): Promise<number> {
    const p = await insertProduct(this.rt.pool, { name: `test product ${randomBytes(3).toString('hex')}`, price, stock });
    return p.id;
  }

  async dbAvailable(productId: number): Promise<number> {
    const { rows } = await this.rt.pool.query<{ available: number }>('select available from products where id = $1', [productId]);
    return rows[0]!.available;
  }

  /** Hold-expiry jobs waiting in this service's queue. */
  scheduledExpiries(): Promise<number> {
    return this.rt.ctx.expiry.depth();
  }

  /** The Redis connection, for tests that flush or corrupt it (production shape only). */
  get redis(): RedisClient {
    if (!this.rt.redis) throw new Error('this service runs the in-process stand-ins: it has no Redis');
    return this.rt.redis;
  }

  mirrorAvailable(productId: number): Promise<number | null> {
    return this.rt.ctx.mirror.read(productId);
  }

  async placeHold(productId: number, quantity = 1): Promise<string> {
    const res = await this.post('/api/holds', { product_id: productId, quantity });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.hold_id as string;
  }

  /** I1 and I2 for the given products: the stock equation holds and Redis equals the database. */
  async expectInvariants(productIds: number[]): Promise<void> {
    const report = await checkInvariants(this.rt.ctx, productIds);
    expect(report.figures.map((f) => f.productId).sort()).toEqual([...productIds].sort());
    expect(report.violations).toEqual([]);
  }

  /** The database this service runs on (its own, with `ownDatabase`). */
  get databaseUrl(): string {
    return this.config.DATABASE_URL ?? TEST_DATABASE_URL;
  }

  async close(): Promise<void> {
    await this.app.close();
    await this.stopWorker();
    await this.agent.close();
    await this.rt.close();
    await this.ownDatabase?.drop();
  }
}

/** Polls until `probe` returns a value satisfying `done`, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 10_000,
  stepMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

export const countBy = <T>(items: T[], key: (t: T) => string | number): Record<string, number> =>
  items.reduce<Record<string, number>>((acc, t) => {
    const k = String(key(t));
    acc[k] = (acc[k] ?? 0) + 1;
    return acc;
  }, {});

/** A JSON answer parsed; any other answer as its text. */
function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
