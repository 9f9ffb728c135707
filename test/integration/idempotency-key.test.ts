import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IN_FLIGHT_LOCK_SECONDS } from '../../src/http/plugins/idempotency-key.ts';
import { countBy, TestService } from '../helpers/service.ts';

const heldUnits = async (svc: TestService, productId: number) => {
  const { rows } = await svc.rt.pool.query<{ holds: number }>(
    `select count(*)::int as holds from hold_lines where product_id = $1`,
    [productId],
  );
  return rows[0]!.holds;
};

const ADMIN_TOKEN = 'idempotency-admin-token-0123456789';

describe('Idempotency-Key on POST /api/holds and POST /api/orders', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', env: { ADMIN_TOKEN } });
  });
  afterAll(() => svc.close());

  it('a retry with the same key gets the stored 201 with Idempotent-Replayed: true and reserves nothing more', async () => {
    const productId = await svc.createProduct(10);
    const key = randomUUID();
    const first = await svc.post('/api/holds', { product_id: productId, quantity: 3 }, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    // Same payload with keys in another order and the key quoted as a structured-field string.
    const retries = await Promise.all(
      Array.from({ length: 5 }, () =>
        svc.post('/api/holds', { quantity: 3, product_id: productId }, { 'idempotency-key': `"${key}"` }),
      ),
    );
    for (const r of retries) {
      expect(r.status).toBe(201);
      expect(r.headers['idempotent-replayed']).toBe('true');
      expect(r.headers['location']).toBe(first.headers['location']);
      expect(r.body).toEqual(first.body);
    }
    expect(await heldUnits(svc, productId)).toBe(1);
    expect(await svc.dbAvailable(productId)).toBe(7);
    await svc.expectInvariants([productId]);
  });

  it('the same key with a different body is 422 and changes nothing', async () => {
    const productId = await svc.createProduct(10);
    const key = randomUUID();
    expect((await svc.post('/api/holds', { product_id: productId, quantity: 1 }, { 'idempotency-key': key })).status).toBe(201);
    const reused = await svc.post('/api/holds', { product_id: productId, quantity: 2 }, { 'idempotency-key': key });
    expect(reused.status).toBe(422);
    expect(reused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reused.body.type).toMatch(/\/idempotency-key-reused$/);
    expect(await heldUnits(svc, productId)).toBe(1);
    expect(await svc.dbAvailable(productId)).toBe(9);
  });

  it('a request whose key is still in flight is 409 and reserves nothing', async () => {
    const productId = await svc.createProduct(10);
    const key = randomUUID();
    // Claim the key the way a first request still running would: same scope, route and body.
    const storageKey = createHash('sha256').update(`anonymous\nPOST /api/holds\n${key}`).digest('hex');
    const body = { product_id: productId, quantity: 1 };
    const fingerprint = createHash('sha256').update(`{"product_id":${productId},"quantity":1}`).digest('hex');
    const claim = await svc.rt.guards.requestIdempotency.claim(storageKey, fingerprint, IN_FLIGHT_LOCK_SECONDS);
    expect(claim.state).toBe('claimed');
    const res = await svc.post('/api/holds', body, { 'idempotency-key': key });
    expect(res.status).toBe(409);
    expect(res.body.type).toMatch(/\/idempotency-key-in-flight$/);
    expect(await heldUnits(svc, productId)).toBe(0);
    // Once the first request gives up its claim (it failed with a 5xx), a retry runs.
    await svc.rt.guards.requestIdempotency.release(storageKey, (claim as { token: string }).token);
    expect((await svc.post('/api/holds', body, { 'idempotency-key': key })).status).toBe(201);
    expect(await heldUnits(svc, productId)).toBe(1);
  });

  it('100 concurrent requests with one key: exactly one hold, the others replayed or 409 in flight', async () => {
    const productId = await svc.createProduct(100);
    const key = randomUUID();
    const results = await Promise.all(
      Array.from({ length: 100 }, () =>
        svc.post('/api/holds', { product_id: productId, quantity: 1 }, { 'idempotency-key': key }),
      ),
    );
    const fresh = results.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined);
    const replayed = results.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === 'true');
    const inFlight = results.filter((r) => r.status === 409);
    expect(fresh).toHaveLength(1);
    expect(replayed.length + inFlight.length).toBe(99);
    for (const r of replayed) expect(r.body.hold_id).toBe(fresh[0]!.body.hold_id);
    for (const r of inFlight) expect(r.body.type).toMatch(/\/idempotency-key-in-flight$/);
    expect(await heldUnits(svc, productId)).toBe(1);
    expect(await svc.dbAvailable(productId)).toBe(99);
  });

  it('different keys are different operations: 20 keys, 20 holds', async () => {
    const productId = await svc.createProduct(100);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        svc.post('/api/holds', { product_id: productId, quantity: 1 }, { 'idempotency-key': randomUUID() }),
      ),
    );
    expect(countBy(results, (r) => r.status)).toEqual({ 201: 20 });
    expect(await heldUnits(svc, productId)).toBe(20);
  });

  it('a refused hold (409 insufficient stock) is replayed as refused, not retried', async () => {
    const productId = await svc.createProduct(1);
    const key = randomUUID();
    const first = await svc.post('/api/holds', { product_id: productId, quantity: 2 }, { 'idempotency-key': key });
    expect(first.status).toBe(409);
    const again = await svc.post('/api/holds', { product_id: productId, quantity: 2 }, { 'idempotency-key': key });
    expect(again.status).toBe(409);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
  });

  it('a hold refused with Retry-After (sale not started) is not kept: the same key retried after the start gets the hold', async () => {
    const { rows } = await svc.rt.pool.query<{ starts: Date }>(`select now() + interval '2 seconds' as starts`);
    const created = await svc.post(
      '/api/admin/products',
      { name: 'drop', price: 10, stock: 5, sale_starts_at: rows[0]!.starts.toISOString() },
      { authorization: `Bearer ${ADMIN_TOKEN}` },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const productId = created.body.id as number;
    const key = randomUUID();
    const hold = () => svc.post('/api/holds', { product_id: productId, quantity: 2 }, { 'idempotency-key': key });

    const early = await hold();
    expect(early.status).toBe(409);
    expect(early.body.type).toBe('/problems/sale-not-started');
    const retryAfter = Number(early.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    // Still early: judged again, not replayed.
    const stillEarly = await hold();
    expect(stillEarly.status).toBe(409);
    expect(stillEarly.headers['idempotent-replayed']).toBeUndefined();

    // The buyer waits as told (plus the clock margin) and retries with the same key.
    await new Promise((r) => setTimeout(r, retryAfter * 1_000 + 200));
    const placed = await hold();
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.headers['idempotent-replayed']).toBeUndefined();
    const replayed = await hold();
    expect(replayed.status).toBe(201);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.body).toEqual(placed.body);
    expect(await heldUnits(svc, productId)).toBe(1);
    expect(await svc.dbAvailable(productId)).toBe(3);
    await svc.expectInvariants([productId]);
  });

  it('orders: a retried POST /api/orders replays the 201 of the first and creates one order', async () => {
    const productId = await svc.createProduct(5);
    const holdId = await svc.placeHold(productId, 2);
    const key = randomUUID();
    const first = await svc.post('/api/orders', { hold_id: holdId }, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const retries = await Promise.all(
      Array.from({ length: 5 }, () => svc.post('/api/orders', { hold_id: holdId }, { 'idempotency-key': key })),
    );
    for (const r of retries) {
      expect(r.status).toBe(201);
      expect(r.headers['idempotent-replayed']).toBe('true');
      expect(r.body).toEqual(first.body);
    }
    const other = await svc.post('/api/orders', { hold_id: randomUUID() }, { 'idempotency-key': key });
    expect(other.status).toBe(422);
    const { rows } = await svc.rt.pool.query('select count(*)::int as n from orders where hold_id = $1', [holdId]);
    expect(rows[0].n).toBe(1);
  });

  it('one key on two routes is two keys; a key with spaces or too long is a 400 problem', async () => {
    const productId = await svc.createProduct(5);
    const key = randomUUID();
    const hold = await svc.post('/api/holds', { product_id: productId, quantity: 1 }, { 'idempotency-key': key });
    const order = await svc.post('/api/orders', { hold_id: hold.body.hold_id }, { 'idempotency-key': key });
    expect([hold.status, order.status]).toEqual([201, 201]);
    for (const bad of ['has space', 'x'.repeat(256), '', 'tab\there', 'é']) {
      const res = await svc.post('/api/holds', { product_id: productId, quantity: 1 }, { 'idempotency-key': bad });
      expect(res.status, bad).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect(await heldUnits(svc, productId)).toBe(1);
  });

  it('keys are stored for 24 hours', async () => {
    const productId = await svc.createProduct(5);
    const key = randomUUID();
    expect((await svc.post('/api/holds', { product_id: productId, quantity: 1 }, { 'idempotency-key': key })).status).toBe(201);
    const storageKey = createHash('sha256').update(`anonymous\nPOST /api/holds\n${key}`).digest('hex');
    const ttl = await svc.redis.ttl(`${svc.config.REDIS_PREFIX}idempotency:request:${storageKey}`);
    expect(ttl).toBeGreaterThan(24 * 3600 - 60);
    expect(ttl).toBeLessThanOrEqual(24 * 3600);
  });

  it('clients with different credentials do not share keys', async () => {
    const productId = await svc.createProduct(5);
    const key = randomUUID();
    const a = await svc.post(
      '/api/holds',
      { product_id: productId, quantity: 1 },
      { 'idempotency-key': key, authorization: 'Bearer alice' },
    );
    const b = await svc.post(
      '/api/holds',
      { product_id: productId, quantity: 1 },
      { 'idempotency-key': key, authorization: 'Bearer bob' },
    );
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(await heldUnits(svc, productId)).toBe(2);
  });
});
