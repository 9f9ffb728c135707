import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestService } from '../helpers/service.ts';

/**
 * A product's stock movements are its history (migration 011). They name their product without a
 * foreign key, so the rule that kept every product with a history, which the key enforced, is
 * enforced directly: a product is never deleted or truncated.
 */
describe('products are kept with their history', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await TestService.start({ worker: 'none' });
  });
  afterAll(() => svc.close());

  it('refuses to delete a product, even one with nothing but its initial movement, or to truncate them', async () => {
    const productId = await svc.createProduct(5);
    await expect(svc.rt.pool.query('delete from products where id = $1', [productId])).rejects.toMatchObject({
      code: '23001',
    });
    await expect(svc.rt.pool.query('truncate products cascade')).rejects.toMatchObject({ code: '23001' });
    const { rows } = await svc.rt.pool.query(
      `select p.available, count(m.id)::int as movements
         from products p join stock_movements m on m.product_id = p.id where p.id = $1 group by p.available`,
      [productId],
    );
    expect(rows).toEqual([{ available: 5, movements: 1 }]);
  });
});
