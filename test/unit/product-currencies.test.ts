import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/adapters/postgres/db.ts';
import { ProductCurrencies } from '../../src/adapters/postgres/product-currencies.ts';

/** A database that knows some products' currencies and counts the queries it answers. */
function fakeDb(currencies: Record<number, string>) {
  const asked: number[][] = [];
  const db = {
    query: async (_sql: string, [ids]: [number[]]) => {
      asked.push(ids);
      return { rows: ids.filter((id) => id in currencies).map((id) => ({ id, currency: currencies[id] })) };
    },
  } as unknown as Db;
  return { db, asked };
}

describe('the currencies a process has seen', () => {
  it('asks the database once per product, never again for a known one', async () => {
    const { db, asked } = fakeDb({ 1: 'EUR', 2: 'EUR', 3: 'USD' });
    const currencies = new ProductCurrencies();
    expect(await currencies.read(db, [2, 1])).toEqual([
      { id: 2, currency: 'EUR' },
      { id: 1, currency: 'EUR' },
    ]);
    expect(await currencies.read(db, [1, 2])).toEqual([
      { id: 1, currency: 'EUR' },
      { id: 2, currency: 'EUR' },
    ]);
    expect(await currencies.read(db, [3, 1])).toEqual([
      { id: 3, currency: 'USD' },
      { id: 1, currency: 'EUR' },
    ]);
    expect(asked).toEqual([[2, 1], [3]]);
  });

  it('leaves unknown products out and asks for them again', async () => {
    const { db, asked } = fakeDb({ 1: 'EUR' });
    const currencies = new ProductCurrencies();
    expect(await currencies.read(db, [1, 99])).toEqual([{ id: 1, currency: 'EUR' }]);
    expect(await currencies.read(db, [1, 99])).toEqual([{ id: 1, currency: 'EUR' }]);
    expect(asked).toEqual([[1, 99], [99]]);
  });

  it('forgets everything rather than grow past its bound', async () => {
    const { db, asked } = fakeDb({ 1: 'EUR', 2: 'EUR', 3: 'EUR' });
    const currencies = new ProductCurrencies(2);
    await currencies.read(db, [1, 2]);
    await currencies.read(db, [3]);
    await currencies.read(db, [1]);
    expect(asked).toEqual([[1, 2], [3], [1]]);
  });
});
