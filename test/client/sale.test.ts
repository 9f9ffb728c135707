import { createClient, type FlashsaleClient, type Problem } from 'flashsale/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestService } from '../helpers/service.ts';
import { newWebhookSecret, signWebhook } from '../helpers/webhook-signing.ts';

const TOKEN = 'admin-token-for-tests-0123456789';

describe('a whole sale through the typed client (flashsale/client)', () => {
  const secret = newWebhookSecret();
  let svc: TestService;
  let api: FlashsaleClient;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', webhookSecret: secret, env: { ADMIN_TOKEN: TOKEN } });
    api = createClient({ baseUrl: svc.url });
  });
  afterAll(() => svc.close());

  it('product, cart hold, order, signed payment webhook, and a problem on a bad request', async () => {
    const admin = { authorization: `Bearer ${TOKEN}` };
    const created = await api.POST('/api/admin/products', {
      body: { name: 'Client Sneakers', price: 129.5, currency: 'EUR', stock: 5 },
      headers: admin,
    });
    expect(created.response.status).toBe(201);
    const product = created.data!;
    expect(product).toMatchObject({ name: 'Client Sneakers', price: 129.5, currency: 'EUR', available_stock: 5 });

    const read = await api.GET('/api/products/{id}', { params: { path: { id: product.id } } });
    expect(read.data).toEqual(product);

    const laces = (
      await api.POST('/api/admin/products', { body: { name: 'Laces', price: 3.25, currency: 'EUR', stock: 10 }, headers: admin })
    ).data!;
    // A cart: both lines or nothing.
    const held = await api.POST('/api/holds', {
      body: {
        items: [
          { product_id: product.id, quantity: 2 },
          { product_id: laces.id, quantity: 4 },
        ],
      },
    });
    expect(held.response.status).toBe(201);
    const hold = held.data!;
    expect(hold).toMatchObject({
      status: 'active',
      items: [
        { product_id: product.id, quantity: 2 },
        { product_id: laces.id, quantity: 4 },
      ],
    });

    const ordered = await api.POST('/api/orders', { body: { hold_id: hold.hold_id } });
    expect(ordered.response.status).toBe(201);
    const order = ordered.data!;
    expect(order).toMatchObject({ hold_id: hold.hold_id, amount: 272, currency: 'EUR', payment_status: 'created' });
    expect(order.items).toEqual([
      { product_id: product.id, quantity: 2, unit_price: 129.5, amount: 259 },
      { product_id: laces.id, quantity: 4, unit_price: 3.25, amount: 13 },
    ]);

    // The payment provider's event, signed as Standard Webhooks; the client sends the same JSON text.
    const event = { order_id: order.order_id, payment_status: 'paid' as const, idempotency_key: `evt_${hold.hold_id}` };
    const unsigned = await api.POST('/api/payments/webhook', { body: event });
    expect(unsigned.response.status).toBe(401);
    expect(unsigned.error?.type).toBe('/problems/invalid-signature');
    const paid = await api.POST('/api/payments/webhook', { body: event, headers: signWebhook(secret, JSON.stringify(event)) });
    expect(paid.response.status).toBe(200);
    expect(paid.data).toMatchObject({ order_id: order.order_id, payment_status: 'paid', currency: 'EUR' });
    const after = await api.GET('/api/orders/{order_id}', { params: { path: { order_id: order.order_id } } });
    expect(after.data?.payment_status).toBe('paid');
    expect((await api.GET('/api/products/{id}', { params: { path: { id: product.id } } })).data?.available_stock).toBe(3);

    // A bad request: the typed problem document, whose type resolves to a page of the service.
    const bad = await api.POST('/api/holds', { body: { product_id: product.id, quantity: 0 } });
    expect(bad.response.status).toBe(400);
    expect(bad.response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const problem: Problem | undefined = bad.error;
    expect(problem).toMatchObject({ type: '/problems/validation-error', status: 400 });
    expect(problem?.errors?.[0]).toMatchObject({ location: 'body', pointer: '/quantity' });
    const page = await fetch(new URL(problem!.type, svc.url));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Request is not valid');

    const tooPrecise = await api.POST('/api/admin/products', {
      body: { name: 'Too precise', price: 0.001, currency: 'USD', stock: 1 },
      headers: admin,
    });
    expect(tooPrecise.response.status).toBe(400);
    expect(tooPrecise.error?.errors?.[0]).toMatchObject({ pointer: '/price' });
    expect((await api.GET('/api/products/{id}', { params: { path: { id: laces.id } } })).data?.available_stock).toBe(6);
    await svc.expectInvariants([product.id, laces.id]);
  });
});
