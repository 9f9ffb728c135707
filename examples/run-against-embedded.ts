/**
 * Runs both examples against the embedded default, as `npm start` runs it (no DATABASE_URL, no
 * REDIS_URL), in a data folder of its own: a buyer checks out twice through the storefront, the
 * payment provider pays one order and fails the other with signed webhooks, and the storefront
 * sees the results. Exits non-zero at the first thing that is not as expected. `npm run examples`.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sendPaymentEvent } from './payment-provider.ts';
import { createStorefront } from './storefront.ts';

const port = Number(process.env['EXAMPLES_PORT'] ?? 3217);
const flashsaleUrl = `http://127.0.0.1:${port}`;
const secret = `whsec_${Buffer.from('examples run against the embedded default').toString('base64')}`;

function expect(what: string, ok: boolean, seen: unknown): void {
  if (!ok) throw new Error(`${what}: got ${JSON.stringify(seen)}`);
  console.log(`ok  ${what}`);
}

async function waitUntilReady(deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    const ready = await fetch(`${flashsaleUrl}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('flashsale did not get ready in time');
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'flashsale-examples-'));
// As root, the embedded server runs as the postgres user, which must be able to enter the folder.
await chmod(dataDir, 0o755);
const service = spawn(process.execPath, ['bin/flashsale.js', 'serve'], {
  env: {
    PATH: process.env['PATH'],
    PORT: String(port),
    HOST: '127.0.0.1',
    EMBEDDED_POSTGRES_PORT: process.env['EXAMPLES_POSTGRES_PORT'] ?? '5457',
    DATA_DIR: dataDir,
    WEBHOOK_SECRET: secret,
    LOG_LEVEL: 'warn',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const exited = new Promise<number | null>((resolve) => service.once('exit', (code) => resolve(code)));
const storefront = createStorefront(flashsaleUrl);

try {
  await Promise.race([waitUntilReady(Date.now() + 180_000), exited.then(() => Promise.reject(new Error('flashsale exited')))]);
  await new Promise<void>((resolve) => storefront.listen(0, '127.0.0.1', resolve));
  const shop = `http://127.0.0.1:${(storefront.address() as AddressInfo).port}`;
  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(shop + url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  const product = await call('GET', '/products/1');
  expect(
    'the storefront shows the seeded product 1 with its currency',
    product.status === 200 && product.body['currency'] === 'USD',
    product,
  );
  const stockBefore = (await (await fetch(`${flashsaleUrl}/api/products/1`)).json()) as { available_stock: number };

  const first = await call('POST', '/checkout', { product_id: 1, quantity: 2 });
  expect('checkout: a hold and an order', first.status === 201 && first.body['payment_status'] === 'created', first);
  const second = await call('POST', '/checkout', { product_id: 1, quantity: 1 });
  expect('a second checkout', second.status === 201, second);
  const refused = await call('POST', '/checkout', { product_id: 1, quantity: 0 });
  expect(
    "a bad checkout passes flashsale's problem on",
    refused.status === 400 && refused.body['type'] === '/problems/validation-error',
    refused,
  );

  const paid = await sendPaymentEvent(flashsaleUrl, secret, { orderId: Number(first.body['order_id']), status: 'paid' });
  expect('the provider pays the first order with a signed webhook', paid.status === 200, paid);
  const failed = await sendPaymentEvent(flashsaleUrl, secret, { orderId: Number(second.body['order_id']), status: 'failed' });
  expect('the provider fails the second one', failed.status === 200, failed);
  const forged = await sendPaymentEvent(flashsaleUrl, 'whsec_' + Buffer.from('not the secret').toString('base64'), {
    orderId: Number(second.body['order_id']),
    status: 'paid',
  });
  expect('an event signed with another secret is refused', forged.status === 401, forged);

  const firstNow = await call('GET', `/orders/${String(first.body['order_id'])}`);
  expect('the storefront sees the first order paid', firstNow.body['payment_status'] === 'paid', firstNow);
  const secondNow = await call('GET', `/orders/${String(second.body['order_id'])}`);
  expect('and the second failed', secondNow.body['payment_status'] === 'failed', secondNow);
  const stockAfter = (await (await fetch(`${flashsaleUrl}/api/products/1`)).json()) as { available_stock: number };
  expect('only the paid units left the stock', stockAfter.available_stock === stockBefore.available_stock - 2, {
    before: stockBefore.available_stock,
    after: stockAfter.available_stock,
  });
} finally {
  storefront.close();
  service.kill('SIGTERM');
  await exited;
  await rm(dataDir, { recursive: true, force: true });
}
