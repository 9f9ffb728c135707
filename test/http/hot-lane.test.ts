import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetrics } from '../helpers/metrics.ts';
import { countBy, eventually, TestService } from '../helpers/service.ts';

/**
 * The hot lane (decision 29) answers sold-out refusals and product reads before Fastify's router.
 * Each answer must be the one the route gives (`app.inject` runs the route without the lane),
 * counted in the same metrics, and everything it cannot answer from memory must reach the route
 * unchanged, a body the lane already read included.
 */
describe('the hot lane', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none' });
  });
  afterAll(() => svc?.close());

  const laneCount = (route: string) => svc.app.hotLane.answers.get(route) ?? 0;
  // What differs between two answers to the same request: the clock, and the connection's framing.
  const comparable = (headers: Record<string, unknown>) => {
    const { date: _d, connection: _c, 'keep-alive': _k, ...rest } = headers;
    return rest;
  };

  async function overHttp(method: 'GET' | 'POST', path: string, body?: string, headers: Record<string, string> = {}) {
    const res = await request(svc.url + path, {
      method,
      dispatcher: svc.agent,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body,
    });
    return { status: res.statusCode, headers: comparable(res.headers), body: await res.body.text() };
  }

  async function throughRoute(method: 'GET' | 'POST', path: string, body?: string, headers: Record<string, string> = {}) {
    const res = await svc.app.inject({
      method,
      url: path,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { payload: body }),
    });
    return { status: res.statusCode, headers: comparable(res.headers), body: res.body };
  }

  const metric = async (series: string): Promise<number> =>
    parseMetrics((await svc.get<string>('/metrics')).body).get(series) ?? 0;

  it('refuses a sold-out product with the route’s bytes and headers, and counts each refusal like the route', async () => {
    const soldOut = await svc.createProduct(0);
    const body = JSON.stringify({ product_id: soldOut, quantity: 2 });
    const headers = { 'x-request-id': 'lane-req-1' };
    // The first refusal comes through the route: it puts the product's stock and rules in memory.
    expect((await overHttp('POST', '/api/holds', body, headers)).status).toBe(409);
    const timed = 'flashsale_http_request_duration_seconds_count{method="POST",route="/api/holds",status_code="409"}';
    const refused = 'flashsale_holds_rejected_total{reason="insufficient_stock_mirror"}';
    const [timedBefore, refusedBefore, laneBefore] = [await metric(timed), await metric(refused), laneCount('POST /api/holds')];

    const fromLane = await overHttp('POST', '/api/holds', body, headers);
    const fromRoute = await throughRoute('POST', '/api/holds', body, headers);
    expect(laneCount('POST /api/holds')).toBe(laneBefore + 1);
    expect(fromLane).toEqual(fromRoute);
    expect(fromLane.status).toBe(409);
    expect(JSON.parse(fromLane.body)).toMatchObject({
      code: 'STOCK.INSUFFICIENT',
      request_id: 'lane-req-1',
      instance: '/api/holds',
      lines: [{ product_id: soldOut, requested: 2, available: 0 }],
    });
    // Without a request id of its own, each answer gets a new one, in its header and its body.
    const a = await overHttp('POST', '/api/holds', body);
    const b = await overHttp('POST', '/api/holds', body);
    expect(laneCount('POST /api/holds')).toBe(laneBefore + 3);
    for (const r of [a, b]) expect(JSON.parse(r.body).request_id).toBe(r.headers['x-request-id']);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);

    // Two from the lane and two through the route since the first reading (inject included).
    expect(await metric(timed)).toBe(timedBefore + 4);
    expect(await metric(refused)).toBe(refusedBefore + 4);
  });

  it('answers a product read with the route’s bytes until the stock changes, then the route writes the new state', async () => {
    const product = await svc.createProduct(5);
    const path = `/api/products/${product}`;
    const headers = { 'x-request-id': 'lane-read-1' };
    // The first read puts the product in memory, the second writes the answer the lane then repeats.
    await overHttp('GET', path, undefined, headers);
    const first = await overHttp('GET', path, undefined, headers);
    expect(JSON.parse(first.body)).toMatchObject({ id: product, available_stock: 5 });
    const before = laneCount('GET /api/products/:id');
    const fromLane = await overHttp('GET', path, undefined, headers);
    expect(laneCount('GET /api/products/:id')).toBe(before + 1);
    expect(fromLane).toEqual(first);
    expect(fromLane).toEqual(await throughRoute('GET', path, undefined, headers));

    await svc.placeHold(product, 2);
    // The near cache learns the new stock through Redis; the lane never answers the old bytes after that.
    const after = await eventually(
      () => overHttp('GET', path).then((r) => JSON.parse(r.body).available_stock as number),
      (n) => n === 3,
    );
    expect(after).toBe(3);
    await overHttp('GET', path);
    const counted = laneCount('GET /api/products/:id');
    expect(JSON.parse((await overHttp('GET', path)).body).available_stock).toBe(3);
    expect(laneCount('GET /api/products/:id')).toBe(counted + 1);
  });

  it('leaves to the route every request it cannot answer from memory, with the same answer the route gives', async () => {
    const soldOut = await svc.createProduct(0);
    const inStock = await svc.createProduct(50);
    const notYet = await svc.createProduct(0);
    await svc.rt.pool.query(`update products set sale_starts_at = now() + interval '1 hour' where id = $1`, [notYet]);
    const limited = await svc.createProduct(0);
    await svc.rt.pool.query('update products set max_per_customer = 2 where id = $1', [limited]);
    for (const id of [soldOut, notYet, limited]) {
      await overHttp('POST', '/api/holds', JSON.stringify({ product_id: id, quantity: 1 }));
      for (let i = 0; i < 2; i++) await overHttp('GET', `/api/products/${id}`);
    }
    const headers = { 'x-request-id': 'lane-req-2' };
    const cases: [string, string, number][] = [
      ['a string quantity', `{"product_id":${soldOut},"quantity":"1"}`, 400],
      ['malformed JSON', `{"product_id":${soldOut},`, 400],
      ['a poisoned prototype', `{"product_id":${soldOut},"quantity":1,"__proto__":{"x":1}}`, 400],
      ['both a product and items', `{"product_id":${soldOut},"quantity":1,"items":[]}`, 400],
      ['a product that does not exist', '{"product_id":2147480000,"quantity":1}', 404],
      ['a sale that has not started', `{"product_id":${notYet},"quantity":1}`, 409],
      ['a limited product without a customer', `{"product_id":${limited},"quantity":1}`, 400],
    ];
    for (const [name, body, status] of cases) {
      const before = laneCount('POST /api/holds');
      const lane = await overHttp('POST', '/api/holds', body, headers);
      expect(laneCount('POST /api/holds'), name).toBe(before);
      expect(lane.status, name).toBe(status);
      expect(lane, name).toEqual(await throughRoute('POST', '/api/holds', body, headers));
    }

    // A grant: the lane read the body and handed it on.
    const granted = await overHttp('POST', '/api/holds', JSON.stringify({ product_id: inStock, quantity: 3 }));
    expect(granted.status).toBe(201);
    expect(JSON.parse(granted.body)).toMatchObject({ product_id: inStock, quantity: 3, status: 'active' });

    // Requests the lane does not read: another media type, an Idempotency-Key, a chunked body.
    const soldOutBody = JSON.stringify({ product_id: soldOut, quantity: 1 });
    const before = laneCount('POST /api/holds');
    const plain = { 'content-type': 'text/plain', 'x-request-id': 'lane-req-3' };
    const asText = await overHttp('POST', '/api/holds', soldOutBody, plain);
    expect(asText.status).toBeGreaterThanOrEqual(400);
    expect(asText).toEqual(await throughRoute('POST', '/api/holds', soldOutBody, plain));
    const keyed = await overHttp('POST', '/api/holds', soldOutBody, { 'idempotency-key': `lane-${soldOut}` });
    expect(keyed.status).toBe(409);
    expect(keyed.headers['idempotency-key']).toBeUndefined();
    const chunked = await request(`${svc.url}/api/holds`, {
      method: 'POST',
      dispatcher: svc.agent,
      headers: { 'content-type': 'application/json' },
      body: Readable.from([soldOutBody.slice(0, 5), soldOutBody.slice(5)]),
    });
    expect(chunked.statusCode).toBe(409);
    await chunked.body.text();
    expect(laneCount('POST /api/holds')).toBe(before);

    // Reads the lane leaves to the router: a query, another spelling of the id, a trailing slash, HEAD.
    const readsBefore = laneCount('GET /api/products/:id');
    for (const path of [`/api/products/${soldOut}?x=1`, `/api/products/0${soldOut}`, `/api/products/${soldOut}/`]) {
      const lane = await overHttp('GET', path, undefined, headers);
      expect(lane.status, path).toBe(200);
      expect(lane, path).toEqual(await throughRoute('GET', path, undefined, headers));
    }
    const head = await request(`${svc.url}/api/products/${soldOut}`, { method: 'HEAD', dispatcher: svc.agent });
    expect(head.statusCode).toBe(200);
    await head.body.text();
    expect(laneCount('GET /api/products/:id')).toBe(readsBefore);
  });

  it('under a storm, grants exactly the stock and refuses the rest, the lane and the route sharing the work', async () => {
    const product = await svc.createProduct(40);
    await overHttp('GET', `/api/products/${product}`);
    const before = laneCount('POST /api/holds');
    const body = JSON.stringify({ product_id: product, quantity: 1 });
    const answers = await Promise.all(Array.from({ length: 400 }, () => overHttp('POST', '/api/holds', body)));
    expect(countBy(answers, (a) => a.status)).toEqual({ 201: 40, 409: 360 });
    // Once the near cache knew the product was sold out, the lane answered (at least some of) the rest.
    const late = await Promise.all(Array.from({ length: 50 }, () => overHttp('POST', '/api/holds', body)));
    expect(countBy(late, (a) => a.status)).toEqual({ 409: 50 });
    expect(laneCount('POST /api/holds')).toBeGreaterThan(before);
    const { rows } = await svc.rt.pool.query<{ n: number }>(
      `select count(*)::int as n from hold_lines l join holds h on h.id = l.hold_id where l.product_id = $1 and h.status = 'active'`,
      [product],
    );
    expect(rows[0]!.n).toBe(40);
    await svc.expectInvariants([product]);
  });

  it('survives a client that goes away in the middle of a body it was reading', async () => {
    const soldOut = await svc.createProduct(0);
    const { port } = new URL(svc.url);
    for (let i = 0; i < 20; i++) {
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(
        'POST /api/holds HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n' +
          `{"product_id":${soldOut},`,
      );
      await new Promise((r) => setTimeout(r, 5));
      socket.destroy();
    }
    const body = JSON.stringify({ product_id: soldOut, quantity: 1 });
    const answers = await Promise.all(Array.from({ length: 10 }, () => overHttp('POST', '/api/holds', body)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(409));
  });

  it('steps aside while request lines are logged', async () => {
    const soldOut = await svc.createProduct(0);
    const body = JSON.stringify({ product_id: soldOut, quantity: 1 });
    await overHttp('POST', '/api/holds', body);
    const level = svc.app.log.level;
    const before = laneCount('POST /api/holds');
    svc.app.log.level = 'info';
    try {
      expect((await overHttp('POST', '/api/holds', body)).status).toBe(409);
    } finally {
      svc.app.log.level = level;
    }
    expect(laneCount('POST /api/holds')).toBe(before);
    expect((await overHttp('POST', '/api/holds', body)).status).toBe(409);
    expect(laneCount('POST /api/holds')).toBe(before + 1);
  });
});

describe('HOT_LANE=false', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', env: { HOT_LANE: 'false' } });
  });
  afterAll(() => svc?.close());

  it('answers every request through the route', async () => {
    const soldOut = await svc.createProduct(0);
    for (let i = 0; i < 3; i++) {
      expect((await svc.post('/api/holds', { product_id: soldOut, quantity: 1 })).status).toBe(409);
      expect((await svc.get(`/api/products/${soldOut}`)).status).toBe(200);
    }
    expect([...svc.app.hotLane.answers.values()]).toEqual([]);
  });
});

describe('the hot lane while the service shuts down', () => {
  it('leaves requests to Fastify from the shutdown signal on, whose graceful close then ends each connection', async () => {
    const svc = await TestService.start({ worker: 'none' });
    try {
      const soldOut = await svc.createProduct(0);
      const hold = () => svc.post('/api/holds', { product_id: soldOut, quantity: 1 });
      for (let i = 0; i < 2; i++) expect((await hold()).status).toBe(409);
      const before = svc.app.hotLane.answers.get('POST /api/holds') ?? 0;
      expect(before).toBeGreaterThan(0);
      const closing = svc.app.closeGracefully({ delayMs: 300 });
      expect((await hold()).status).toBe(409);
      expect(svc.app.hotLane.answers.get('POST /api/holds')).toBe(before);
      await closing;
    } finally {
      await svc.close();
    }
  });
});
