import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Chromium } from '../helpers/chromium.ts';
import { startCli } from '../helpers/cli.ts';
import { TEST_DATABASE_URL, TEST_REDIS_URL } from '../helpers/env.ts';
import { eventually } from '../helpers/service.ts';
import { freePort, startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts';

const TOKEN = 'dashboard-browser-admin-token-0123';
const STREAM_PATH = '/api/admin/dashboard/stream';

/** A `flashsale serve` process of its own. */
async function startApi(port: number, prefix: string) {
  const proc = startCli(['serve'], {
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    ADMIN_TOKEN: TOKEN,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  });
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    () =>
      request(`${url}/health/ready`).then(
        (r) => r.body.text().then(() => r.statusCode),
        () => (proc.exitCode === null ? 0 : -1),
      ),
    (status) => status === 200 || status === -1,
    45_000,
    200,
  );
  if (proc.exitCode !== null) throw new Error(`flashsale serve exited: ${proc.output()}`);
  return { proc, url };
}

describe('the dashboard in a real headless Chromium, fed by two API processes', () => {
  const agent = new Agent({ connections: 64 });
  let apis: Awaited<ReturnType<typeof startApi>>[] = [];
  let proxy: TcpProxy;
  let browser: Chromium;
  let page: Page;
  let product: number;
  const requests: { url: string; authorization: string | undefined }[] = [];
  /** Script errors of the page; failed loads are expected (a cut connection, a refused token). */
  const pageErrors: string[] = [];
  const watchErrors = (p: Page) => {
    p.on('pageerror', (e) => pageErrors.push(e.message));
    p.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text());
    });
  };
  afterEach(() => {
    expect(pageErrors.splice(0)).toEqual([]);
  });

  const call = async (
    base: string,
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const res = await request(base + path, {
      method,
      dispatcher: agent,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.statusCode, body: (await res.body.json()) as any };
  };
  const shows = (productId: number, values: Record<string, number>, timeout: number) =>
    page.waitForFunction(
      ([id, expected]) =>
        Object.entries(expected).every(
          ([name, value]) =>
            document.querySelector(`[data-product-id="${id}"] [data-field="${name}"]`)?.textContent === String(value),
        ),
      [productId, values] as const,
      { timeout, polling: 50 },
    );

  beforeAll(async () => {
    const prefix = `browser${randomBytes(4).toString('hex')}:`;
    const [portA, portB] = [await freePort(), await freePort()];
    apis = await Promise.all([startApi(portA, prefix), startApi(portB, prefix)]);
    // The page reaches API process A through a proxy, so that the test can cut its connections.
    proxy = await startTcpProxy(portA);
    browser = await launchChromium();
    page = await browser.context.newPage();
    watchErrors(page);
    page.on('request', (r) => requests.push({ url: r.url(), authorization: r.headers()['authorization'] }));
  });
  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    for (const { proc } of apis) if (proc.exitCode === null) proc.kill('SIGKILL');
    await agent.close();
  });

  it('asks for the token, then shows available and held exactly within 2 s of holds and orders on both processes', async () => {
    const [a, b] = apis.map((x) => x.url) as [string, string];
    const pageUrl = `http://127.0.0.1:${proxy.port}`;
    await page.goto(`${pageUrl}/dashboard`);
    const input = page.locator('form input[name="token"]');
    await input.fill(TOKEN);
    await input.press('Enter');
    await page.waitForSelector('#connection[data-state="live"]', { timeout: 10_000 });
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(TOKEN);

    const created = await call(
      b,
      'POST',
      '/api/admin/products',
      { name: 'browser test', price: 5, stock: 40 },
      {
        authorization: `Bearer ${TOKEN}`,
      },
    );
    expect(created.status).toBe(201);
    product = created.body.id as number;
    await shows(product, { available: 40, held: 0, ordered: 0, paid: 0 }, 3_000);

    const [holdsA, holdsB] = await Promise.all([
      Promise.all(Array.from({ length: 6 }, () => call(a, 'POST', '/api/holds', { product_id: product, quantity: 1 }))),
      Promise.all(Array.from({ length: 5 }, () => call(b, 'POST', '/api/holds', { product_id: product, quantity: 2 }))),
    ]);
    expect([...holdsA, ...holdsB].map((r) => r.status)).toEqual(Array(11).fill(201));
    const orders = await Promise.all([
      ...holdsA.slice(0, 3).map((h) => call(b, 'POST', '/api/orders', { hold_id: h.body.hold_id })),
      ...holdsB.slice(0, 2).map((h) => call(a, 'POST', '/api/orders', { hold_id: h.body.hold_id })),
    ]);
    expect(orders.map((r) => r.status)).toEqual(Array(5).fill(201));
    const done = Date.now();
    // Held: 3 x 1 + 3 x 2 units; ordered: 3 x 1 + 2 x 2; available: 40 - 16.
    await shows(product, { available: 24, held: 9, ordered: 7, paid: 0 }, 2_000);
    expect(Date.now() - done).toBeLessThanOrEqual(2_000);

    // Every call of the page carried the token, and nothing came from anywhere but the service.
    const streamCalls = requests.filter((r) => r.url.endsWith(STREAM_PATH));
    expect(streamCalls.length).toBeGreaterThanOrEqual(1);
    for (const r of streamCalls) expect(r.authorization).toBe(`Bearer ${TOKEN}`);
    for (const r of requests) expect(r.url.startsWith(`${pageUrl}/`) || r.url.startsWith('data:')).toBe(true);
  });

  it('recovers by itself when the stream connection is cut', async () => {
    const b = apis[1]!.url;
    const streamsBefore = requests.filter((r) => r.url.endsWith(STREAM_PATH)).length;
    const reconnectsBefore = Number(await page.getAttribute('#connection', 'data-reconnects'));

    expect(proxy.cutAll()).toBeGreaterThanOrEqual(1);
    await page.waitForSelector('#connection[data-state="reconnecting"]', { timeout: 5_000 });
    await page.waitForSelector('#connection[data-state="live"]', { timeout: 10_000 });
    expect(Number(await page.getAttribute('#connection', 'data-reconnects'))).toBeGreaterThan(reconnectsBefore);
    expect(requests.filter((r) => r.url.endsWith(STREAM_PATH)).length).toBeGreaterThan(streamsBefore);

    // Live again: a change made after the cut shows within 2 s.
    const hold = await call(b, 'POST', '/api/holds', { product_id: product, quantity: 4 });
    expect(hold.status).toBe(201);
    const done = Date.now();
    await shows(product, { available: 20, held: 13 }, 2_000);
    expect(Date.now() - done).toBeLessThanOrEqual(2_000);
  });

  it('shows the holds refused by every reason, the sale rules too, summed over both processes', async () => {
    const [a, b] = apis.map((x) => x.url) as [string, string];
    // What the tiles showed for each second: a second's refusals may straddle two events' seconds.
    await page.evaluate(() => {
      const tiles = document.querySelector('.tiles') as HTMLElement;
      const seen: Record<string, { total: string; detail: string }> = {};
      (window as unknown as { refusalsSeen: typeof seen }).refusalsSeen = seen;
      const note = () => {
        seen[tiles.dataset.second ?? ''] = {
          total: tiles.querySelector('[data-rate="holds_refused"]')!.textContent ?? '',
          detail: tiles.querySelector('[data-rate="refused_detail"]')!.textContent ?? '',
        };
      };
      new MutationObserver(note).observe(tiles, { subtree: true, childList: true, characterData: true, attributes: true });
      note();
    });
    const startSecond = Number(await page.getAttribute('.tiles', 'data-second'));
    const admin = { authorization: `Bearer ${TOKEN}` };
    const ruled = async (rules: object) => {
      const res = await call(b, 'POST', '/api/admin/products', { name: 'ruled', price: 5, stock: 10, ...rules }, admin);
      expect(res.status).toBe(201);
      return res.body.id as number;
    };
    const notYet = await ruled({ sale_starts_at: '2099-01-01T00:00:00Z' });
    const over = await ruled({ sale_starts_at: '2020-01-01T00:00:00Z', sale_ends_at: '2020-01-02T00:00:00Z' });
    const limited = await ruled({ max_per_customer: 2 });
    const refused = await Promise.all([
      call(a, 'POST', '/api/holds', { product_id: notYet, quantity: 1 }),
      call(b, 'POST', '/api/holds', { product_id: over, quantity: 1 }),
      call(a, 'POST', '/api/holds', { product_id: over, quantity: 1 }),
      call(b, 'POST', '/api/holds', { product_id: limited, quantity: 1 }),
      call(a, 'POST', '/api/holds', { product_id: limited, quantity: 1 }),
      call(b, 'POST', '/api/holds', { product_id: limited, quantity: 3, customer_id: 'browser-buyer' }),
      call(a, 'POST', '/api/holds', { product_id: 999_999_999, quantity: 1 }),
    ]);
    expect(refused.map((r) => r.status)).toEqual([409, 409, 409, 400, 400, 409, 404]);

    // Every second after the first one shown, each reason's count read back from the page's text.
    const summed = async () => {
      const seen = await page.evaluate(
        () => (window as unknown as { refusalsSeen: Record<string, { total: string; detail: string }> }).refusalsSeen,
      );
      const sum: Record<string, number> = { total: 0 };
      for (const [second, { total, detail }] of Object.entries(seen)) {
        if (!(Number(second) > startSecond)) continue;
        sum.total! += Number(total);
        for (const part of detail ? detail.split(' · ') : []) {
          const [, label, n] = /^(.*) (\d+)$/.exec(part)!;
          sum[label!] = (sum[label!] ?? 0) + Number(n);
        }
      }
      return sum;
    };
    const want = {
      total: 7,
      'outside the sale window': 3,
      'no customer': 2,
      'over the limit per customer': 1,
      'unknown product': 1,
    };
    await expect.poll(summed, { timeout: 8_000, interval: 200 }).toEqual(want);
    const now = Math.floor(Date.now() / 1000);
    await page.waitForFunction((s) => Number(document.querySelector('.tiles')?.getAttribute('data-second')) > s, now, {
      timeout: 8_000,
    });
    expect(await summed()).toEqual(want); // and nothing more later
  });

  it("shows a wrong token's message in the alert, not a blank page", async () => {
    const other = await browser.context.newPage(); // a new tab: its own, empty sessionStorage
    watchErrors(other);
    try {
      await other.goto(`http://127.0.0.1:${proxy.port}/dashboard`);
      const input = other.locator('form input[name="token"]');
      await input.fill('this-is-not-the-admin-token');
      await input.press('Enter');
      const alert = other.locator('[role="alert"]');
      await expect.poll(() => alert.textContent(), { timeout: 5_000 }).toMatch(/token was refused \(401\)/);
      expect(await alert.isVisible()).toBe(true);
      expect(await input.isVisible()).toBe(true);
      expect(await other.locator('[data-product-id]').count()).toBe(0);
      expect(await other.evaluate(() => sessionStorage.length)).toBe(0);
    } finally {
      await other.close();
    }
  });
});
