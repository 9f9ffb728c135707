import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insufficientStock } from '../../src/domain/cart.ts';
import { saleNotStarted } from '../../src/domain/fair-sale.ts';
import type { DomainError } from '../../src/domain/errors.ts';
import problem, { PreparedProblems } from '../../src/http/plugins/problem.ts';
import { requestId } from '../../src/http/plugins/request-id.ts';
import responseHeaders from '../../src/http/plugins/response-headers.ts';
import { problems } from '../../src/http/schemas/common.ts';
import { eventually, TestService } from '../helpers/service.ts';

/**
 * A sold-out refusal is answered from a document prepared once per product state instead of
 * through the error handler: it must be the same answer, byte for byte, header for header.
 */
describe('a prepared problem is the answer the error handler gives', () => {
  const errors: Record<string, () => DomainError> = {
    single: () => insufficientStock([{ productId: 7, requested: 2, available: 0 }]),
    cart: () =>
      insufficientStock([
        { productId: 7, requested: 2, available: 0 },
        { productId: 9, requested: 300, available: 12 },
      ]),
    'retry-after': () => saleNotStarted(7, new Date('2030-01-01T00:00:00Z'), new Date('2029-12-31T23:59:58.5Z')),
  };
  const app = Fastify({ requestIdHeader: false, genReqId: requestId, routerOptions: { ignoreTrailingSlash: true } });
  const prepared = new PreparedProblems(2);
  app.register(responseHeaders);
  app.register(problem);
  app.register(async (scoped) => {
    const schema = { response: problems(404, 409) };
    scoped.get<{ Params: { kind: string } }>('/thrown/:kind', { schema }, async (request) => {
      throw errors[request.params.kind]!();
    });
    scoped.get<{ Params: { kind: string } }>('/stored/:kind', { schema }, async (request, reply) =>
      prepared.send(reply, request.params.kind, errors[request.params.kind]!),
    );
  });
  afterAll(() => app.close());

  const answer = async (url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: { 'x-request-id': 'req-1' } });
    const { date: _date, ...headers } = res.headers;
    return { status: res.statusCode, headers, body: res.body };
  };

  it.each(['single', 'cart', 'retry-after'])('%s, twice (prepared, then from memory)', async (kind) => {
    const thrown = await answer(`/thrown/${kind}`);
    expect(thrown.status).toBeGreaterThanOrEqual(400);
    for (let i = 0; i < 2; i++) {
      // Paths of the same length, so that even content-length compares.
      const again = await answer(`/stored/${kind}`);
      expect(again.status).toBe(thrown.status);
      expect(again.headers).toEqual(thrown.headers);
      expect(again.body).toBe(thrown.body.replace(`/thrown/${kind}`, `/stored/${kind}`));
    }
  });

  it.each([
    ['with a query and a trailing slash', '/single/?q=%22x%22&r=\\'],
    ['too long to repeat', `/single?${'a'.repeat(600)}`],
  ])('names the URL it answers as the handler does: %s', async (_, rest) => {
    const [thrown, again] = [await answer(`/thrown${rest}`), await answer(`/stored${rest}`)];
    expect(again.body).toBe(thrown.body.replace('/thrown/', '/stored/'));
    expect(again.headers).toEqual(thrown.headers);
    if (rest.length > 512) expect(JSON.parse(again.body)).not.toHaveProperty('instance');
    else expect(JSON.parse(again.body)).toMatchObject({ instance: `/stored${rest}`, request_id: 'req-1' });
  });
});

describe('a product read answered from memory', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none' });
  });
  afterAll(() => svc.close());

  const read = async (id: number) => {
    const res = await svc.call('GET', `/api/products/${id}`, undefined, { 'x-request-id': 'req-2' });
    const { date: _date, ...headers } = res.headers;
    return { status: res.status, headers, body: JSON.stringify(res.body) };
  };

  it('is the document the first read wrote, until the stock changes', async () => {
    const id = await svc.createProduct(5);
    const first = await read(id); // details and stock read from the database and Redis
    expect(first.status).toBe(200);
    expect(JSON.parse(first.body)).toMatchObject({ id, available_stock: 5, total_stock: 5 });
    for (let i = 0; i < 2; i++) expect(await read(id)).toEqual(first);
    await svc.placeHold(id, 2);
    await eventually(
      () => read(id),
      (r) => JSON.parse(r.body).available_stock === 3,
    );
    expect(JSON.parse((await read(id)).body)).toEqual({ ...JSON.parse(first.body), available_stock: 3 });
  });
});
