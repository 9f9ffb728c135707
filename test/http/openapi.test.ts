import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { openapiDocument } from '../../src/cli/openapi.ts';
import { clientTypes } from '../helpers/client-types.ts';
import { openapiGaps } from '../../src/http/openapi-gaps.ts';
import { missingSchemas } from '../../src/http/plugins/route-schemas.ts';
import { TestService } from '../helpers/service.ts';

describe('OpenAPI document and route schemas', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none', env: { ADMIN_TOKEN: 'admin-token-for-tests-0123456789' } });
  });
  afterAll(() => svc.close());

  it('every route declares its responses, path parameters and body', () => {
    const routes = svc.app.routeSummaries.filter((r) => r.method !== 'HEAD');
    expect(routes.length).toBeGreaterThanOrEqual(15);
    expect(missingSchemas(svc.app.routeSummaries)).toEqual([]);
  });

  it('the check catches a route without a schema, a response, a parameter or a body', () => {
    const problems = missingSchemas([
      { method: 'GET', url: '/api/bare', schema: undefined },
      { method: 'GET', url: '/api/errors-only', schema: { response: { 400: {} } } },
      { method: 'GET', url: '/api/things/:thing_id', schema: { response: { 200: {} } } },
      { method: 'POST', url: '/api/things', schema: { response: { 201: {} } } },
      { method: 'GET', url: '/api/secret', schema: { hide: true, response: { 200: {} } } },
      { method: 'GET', url: '/docs/static/*', schema: undefined },
      { method: 'HEAD', url: '/api/bare', schema: undefined },
    ]);
    expect(problems).toEqual([
      'GET /api/bare: no schema',
      'GET /api/errors-only: no 2xx response schema',
      'GET /api/things/:thing_id: path parameter thing_id has no schema',
      'POST /api/things: no body schema',
      'GET /api/secret: hidden from the OpenAPI document',
    ]);
  });

  it('/openapi.json is OpenAPI 3 and documents every route with its schemas', async () => {
    const res = await svc.get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const documented = new Set<string>();
    for (const [path, item] of Object.entries<Record<string, any>>(res.body.paths)) {
      for (const [method, op] of Object.entries<any>(item)) {
        documented.add(`${method.toUpperCase()} ${path}`);
        expect(
          Object.keys(op.responses ?? {}).some((s) => s.startsWith('2')),
          `${method} ${path}`,
        ).toBe(true);
        if (['post', 'put', 'patch'].includes(method)) expect(op.requestBody, `${method} ${path}`).toBeDefined();
        for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
          expect(
            op.parameters?.some((p: any) => p.in === 'path' && p.name === name),
            `${method} ${path} {${name}}`,
          ).toBe(true);
        }
      }
    }
    const routes = svc.app.routeSummaries.filter((r) => r.method !== 'HEAD' && !/^\/(docs|openapi\.json)/.test(r.url));
    for (const r of routes)
      expect(documented, `${r.method} ${r.url}`).toContain(`${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    // The admin routes say how to authenticate.
    expect(res.body.components.securitySchemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(res.body.paths['/api/admin/holds'].get.security).toEqual([{ adminToken: [] }]);
  });

  it('every operation has an operationId, a security declaration, examples of its bodies and (under /api) a 4xx', async () => {
    const res = await svc.get('/openapi.json');
    expect(openapiGaps(res.body)).toEqual([]);
    const ids = Object.values<Record<string, { operationId: string }>>(res.body.paths).flatMap((item) =>
      Object.values(item).map((op) => op.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
    // Anyone, or a customer token when CUSTOMER_JWT_SECRET is set.
    expect(res.body.paths['/api/holds'].post.security).toEqual([{}, { customerToken: [] }]);
    expect(res.body.paths['/api/payments/webhook'].post.security).toEqual([
      { webhookId: [], webhookTimestamp: [], webhookSignature: [] },
    ]);
    expect(res.body.components.securitySchemes.webhookSignature).toMatchObject({
      type: 'apiKey',
      in: 'header',
      name: 'webhook-signature',
    });
    expect(res.body.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(res.body.info.license.name).toBe('MIT');
    expect(res.body.paths['/api/holds'].post.responses['409'].content['application/problem+json'].schema.examples[0].type).toBe(
      '/problems/insufficient-stock',
    );
  });

  it('the gap check names each missing piece', () => {
    const gaps = openapiGaps({
      paths: {
        '/api/things': {
          post: {
            requestBody: { content: { 'application/json': { schema: {} } } },
            responses: { '201': { content: { 'application/json': { schema: {} } } } },
          },
          get: {
            operationId: 'listThings',
            security: [],
            responses: { '200': { content: { 'application/json': { schema: { examples: [[]] } } } } },
          },
        },
        '/health/other': { get: { operationId: 'other', security: [], responses: { '200': { description: 'ok' } } } },
      },
    });
    expect(gaps).toEqual([
      'GET /api/things: no 4xx response (problems(400, ...) in schema.response)',
      'POST /api/things: no operationId (schema.operationId, a camelCase verb such as getProduct)',
      'POST /api/things: no security (schema.security: PUBLIC_SECURITY, ADMIN_SECURITY or WEBHOOK_SECURITY)',
      'POST /api/things: request body application/json has no example (examples: [...] on its schema)',
      'POST /api/things: response 201 application/json has no example (examples: [...] on its schema)',
      'POST /api/things: no 4xx response (problems(400, ...) in schema.response)',
    ]);
  });

  it('the typed client is generated from this very document (else: npm run generate:client)', async () => {
    const committed = await readFile(new URL('../../src/client/schema.ts', import.meta.url), 'utf8');
    const regenerated = await clientTypes(await openapiDocument());
    expect(regenerated === committed, 'src/client/schema.ts is out of date: run `npm run generate:client`').toBe(true);
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await svc.call('GET', '/docs/');
    expect(res.status).toBe(200);
    expect(String(res.body)).toMatch(/swagger/i);
  });
});
