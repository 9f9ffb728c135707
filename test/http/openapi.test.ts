import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('serves Swagger UI at /docs', async () => {
    const res = await svc.call('GET', '/docs/');
    expect(res.status).toBe(200);
    expect(String(res.body)).toMatch(/swagger/i);
  });
});
