import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCli } from '../helpers/cli.ts';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/env.ts';
import { freePort } from '../helpers/free-port.ts';
import { countBy, eventually } from '../helpers/service.ts';

let PORT: number;
let BASE: string;
const TOKEN = 'shutdown-test-admin-token-0123';

type Outcome = { status: number; error?: undefined; after: boolean } | { status?: undefined; error: string; after: boolean };

describe('flashsale serve stops gracefully on SIGTERM', () => {
  const logDir = mkdtempSync(join(tmpdir(), 'flashsale-logs-'));
  const logFile = join(logDir, 'nested', 'flashsale.log');
  let server: ReturnType<typeof startCli>;
  let pool: pg.Pool;
  beforeAll(async () => {
    PORT = await freePort();
    BASE = `http://127.0.0.1:${PORT}`;
    pool = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
    server = startCli(['serve'], {
      DATABASE_URL: TEST_DATABASE_URL,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: `sd${randomBytes(4).toString('hex')}:`,
      PORT: String(PORT),
      HOST: '127.0.0.1',
      ADMIN_TOKEN: TOKEN,
      LOG_FILE: logFile,
      LOG_LEVEL: 'info',
      SHUTDOWN_DELAY_MS: '1500',
    });
    await eventually(
      () =>
        request(`${BASE}/health/ready`).then(
          (r) => r.body.text().then(() => r.statusCode),
          () => 0,
        ),
      (status) => status === 200,
      30_000,
      100,
    );
  });
  afterAll(async () => {
    if (server.exitCode === null) server.kill('SIGKILL');
    await pool.end();
    rmSync(logDir, { recursive: true, force: true });
  });

  it('finishes every request in flight: no connection reset, every answered hold is in the database', async ({ annotate }) => {
    const created = await request(`${BASE}/api/admin/products`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'shutdown', price: 1, stock: 1_000_000 }),
    });
    expect(created.statusCode).toBe(201);
    const productId = ((await created.body.json()) as { id: number }).id;

    const agent = new Agent({ connections: 64, keepAliveTimeout: 30_000 });
    const outcomes: Outcome[] = [];
    let signalled = false;
    let gone = false;
    const holdIds: string[] = [];

    const buyer = async (n: number) => {
      for (let i = 0; !gone; i++) {
        const after = signalled;
        try {
          const hold = (n + i) % 2 === 0;
          const res = await request(hold ? `${BASE}/api/holds` : `${BASE}/api/products/${productId}`, {
            dispatcher: agent,
            method: hold ? 'POST' : 'GET',
            headers: hold ? { 'content-type': 'application/json' } : {},
            body: hold ? JSON.stringify({ product_id: productId, quantity: 1 }) : undefined,
          });
          const body = (await res.body.json()) as { hold_id?: string };
          if (hold && res.statusCode === 201) holdIds.push(body.hold_id!);
          outcomes.push({ status: res.statusCode, after });
        } catch (err) {
          const code = (err as { code?: string }).code ?? (err as Error).message;
          outcomes.push({ error: code, after });
          // Refused means the listener is closed: the server is gone for this client.
          if (code === 'ECONNREFUSED') gone = true;
        }
      }
    };
    const buyers = Array.from({ length: 40 }, (_, n) => buyer(n));
    // The signal must land in the middle of the load: wait for it to be under way, however slow
    // the machine is, rather than for a fixed time.
    await eventually(
      async () => outcomes.length,
      (n) => n > 50,
      30_000,
      20,
    );
    const beforeSignal = outcomes.length;
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    signalled = true;
    server.kill('SIGTERM');
    // During SHUTDOWN_DELAY_MS the process still serves, but tells load balancers it is not ready.
    // The signal reaches the busy process a moment later than this request may: ask until it says so.
    let probe = { status: 0, checks: {} as Record<string, string> };
    for (const deadline = Date.now() + 1_200; probe.status !== 503 && Date.now() < deadline;) {
      const res = await request(`${BASE}/health/ready`, { reset: true });
      probe = { status: res.statusCode, checks: ((await res.body.json()) as { checks: Record<string, string> }).checks };
      if (probe.status !== 503) await new Promise((r) => setTimeout(r, 20));
    }
    expect(probe.status).toBe(503);
    expect(probe.checks['shutdown']).toMatch(/^unavailable/);
    const code = await exited;
    gone = true;
    await Promise.all(buyers);
    await agent.close();

    const errors = countBy(
      outcomes.filter((o) => o.error),
      (o) => o.error!,
    );
    const statuses = countBy(
      outcomes.filter((o) => o.status),
      (o) => o.status!,
    );
    await annotate(
      `requests before SIGTERM ${beforeSignal}, in all ${outcomes.length}; statuses ${JSON.stringify(statuses)} errors ${JSON.stringify(errors)}`,
    );
    expect(code).toBe(0);
    expect(beforeSignal).toBeGreaterThan(50);
    // The only failure allowed is a refused connection once the listener has closed.
    expect(Object.keys(errors).filter((e) => e !== 'ECONNREFUSED')).toEqual([]);
    expect(Object.keys(statuses).every((s) => ['200', '201', '503'].includes(s))).toBe(true);
    const { rows } = await pool.query<{ n: number }>('select count(*)::int as n from hold_lines where product_id = $1', [
      productId,
    ]);
    expect(rows[0]!.n).toBe(holdIds.length);
    expect(server.output()).toMatch(/"msg":"shutting down"/);
  });

  it('wrote its JSON logs to LOG_FILE too, every request line with its request id', () => {
    const lines = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const requestLines = lines.filter((l) => l.req || l.res);
    expect(requestLines.length).toBeGreaterThan(100);
    expect(requestLines.every((l) => typeof l.reqId === 'string' && l.reqId.length > 0)).toBe(true);
    expect(lines.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM')).toBe(true);
  });
});
