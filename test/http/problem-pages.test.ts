import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemKinds, PROBLEM_ABOUT } from '../../src/http/routes/problems/pages.ts';
import { TestService } from '../helpers/service.ts';

describe('problem types resolve to pages the service serves', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none' });
  });
  afterAll(() => svc.close());

  it("a problem's type, resolved against the API's URL, answers a short page about it", async () => {
    const productId = await svc.createProduct(1);
    const refused = await svc.post('/api/holds', { product_id: productId, quantity: 2 });
    expect(refused.status).toBe(409);
    expect(refused.body.type).toBe('/problems/insufficient-stock');
    const page = await fetch(new URL(refused.body.type, svc.url));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<h1>Not enough stock</h1>');
    expect(html).toContain('HTTP 409');
  });

  it('every problem type has a page, a sentence about it and a row in docs/errors.md', async () => {
    const index = await readFile(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const listing = await svc.get('/problems');
    expect(listing.status).toBe(200);
    for (const [slug, kind] of problemKinds()) {
      expect(PROBLEM_ABOUT[slug], slug).toBeTruthy();
      expect(index, slug).toContain(`\`${slug}\``);
      expect(listing.body, slug).toContain(`href="/problems/${slug}"`);
      const res = await svc.get(`/problems/${slug}`);
      expect(res.status, slug).toBe(200);
      expect(res.body, slug).toContain(`HTTP ${kind.status}`);
    }
  });

  it('an unknown problem type is a 404 problem', async () => {
    for (const path of ['/problems/no-such-problem', '/problems/NOT_A_SLUG']) {
      const res = await svc.get(path);
      expect(res.status, path).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });
});
