import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestService } from '../helpers/service.ts';

const SECRET = 'customer-token-secret-0123456789abcdef';
const TOKEN = 'customer-token-admin-0123456789abcdef';

const sign = (claims: { sub?: string; expiresIn?: string | number; secret?: string; alg?: string }) => {
  let jwt = new SignJWT({}).setProtectedHeader({ alg: claims.alg ?? 'HS256' }).setIssuedAt();
  if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
  if (claims.expiresIn !== undefined) jwt = jwt.setExpirationTime(claims.expiresIn);
  return jwt.sign(new TextEncoder().encode(claims.secret ?? SECRET));
};

describe('CUSTOMER_JWT_SECRET: the customer of a hold is the sub of a verified HS256 token', () => {
  let svc: TestService;
  let productId: number;
  beforeAll(async () => {
    svc = await TestService.start({
      worker: 'none',
      env: { CUSTOMER_JWT_SECRET: SECRET, ADMIN_TOKEN: TOKEN, DATABASE_POOL_SIZE: '10' },
    });
    const res = await svc.post(
      '/api/admin/products',
      { name: 'limited', price: 5, stock: 100, max_per_customer: 2 },
      { authorization: `Bearer ${TOKEN}` },
    );
    productId = res.body.id;
  });
  afterAll(async () => {
    await svc.close();
  });

  const hold = (headers: Record<string, string>, body: Record<string, unknown> = {}) =>
    svc.post('/api/holds', { product_id: productId, quantity: 1, ...body }, headers);

  it('a valid token places the hold for its sub, and the limit counts per sub', async () => {
    const sub = `jwt-${randomBytes(4).toString('hex')}`;
    const token = await sign({ sub, expiresIn: '5m' });
    const auth = { authorization: `Bearer ${token}` };
    const first = await hold(auth);
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.customer_id).toBe(sub);
    expect((await hold(auth)).status).toBe(201);
    expect((await hold(auth)).body).toMatchObject({ type: '/problems/purchase-limit-exceeded', current: 2, limit: 2 });
    // Carts take the token too.
    const other = await sign({ sub: `${sub}-2`, expiresIn: '5m' });
    const cart = await svc.post(
      '/api/holds',
      { items: [{ product_id: productId, quantity: 2 }] },
      { authorization: `Bearer ${other}` },
    );
    expect(cart.status).toBe(201);
    expect(cart.body.customer_id).toBe(`${sub}-2`);
  });

  it('401 without a token, with an expired one, one signed with another secret, another algorithm or no sub', async () => {
    const cases: Record<string, Record<string, string>> = {
      missing: {},
      'not a bearer': { authorization: 'Basic abc' },
      malformed: { authorization: 'Bearer not.a.jwt' },
      expired: { authorization: `Bearer ${await sign({ sub: 'late', expiresIn: Math.floor(Date.now() / 1000) - 60 })}` },
      'wrong secret': {
        authorization: `Bearer ${await sign({ sub: 'forged', expiresIn: '5m', secret: 'another-secret-0123456789abcdef!!' })}`,
      },
      'HS512 with the same secret': { authorization: `Bearer ${await sign({ sub: 'alg', expiresIn: '5m', alg: 'HS512' })}` },
      'no sub': { authorization: `Bearer ${await sign({ expiresIn: '5m' })}` },
      'a sub that is no customer id': { authorization: `Bearer ${await sign({ sub: 'auth0|42', expiresIn: '5m' })}` },
    };
    for (const [name, headers] of Object.entries(cases)) {
      const res = await hold(headers);
      expect(res.status, name).toBe(401);
      expect(res.headers['content-type'], name).toMatch(/^application\/problem\+json/);
      expect(res.body.type, name).toBe('/problems/unauthorized');
      expect(res.headers['www-authenticate'], name).toMatch(/^Bearer/);
    }
    expect(await svc.dbAvailable(productId)).toBeGreaterThan(90);
  });

  it('a body customer_id is 400 while the secret is set, even with a valid token', async () => {
    const token = await sign({ sub: 'honest', expiresIn: '5m' });
    for (const headers of [{ authorization: `Bearer ${token}` }, {} as Record<string, string>]) {
      const res = await hold(headers, { customer_id: 'someone-else' });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ type: '/problems/validation-error', errors: [{ pointer: '/customer_id' }] });
    }
  });
});
