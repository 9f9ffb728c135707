import { DEFAULT_CURRENCY } from '../../domain/money.ts';
import type { Db } from './db.ts';
import { sql } from './db.ts';
import { present } from '../../domain/present.ts';

const SQL = {
  find: sql('find-product'),
  stock: sql('product-stock'),
  figures: sql('stock-figures'),
  saleFigures: sql('sale-figures'),
  insert: sql('insert-product'),
  seed: sql('seed-products'),
  update: sql('update-product'),
  adjust: sql('adjust-stock'),
  currencies: sql('product-currencies'),
  pastLimit: sql('customers-past-limit'),
  overdue: sql('overdue-past-grace'),
};

export interface ProductRow {
  id: number;
  name: string;
  price: string;
  currency: string;
  total_stock: number;
  available: number;
  version: number;
  /** Units one customer may have (active holds plus orders created or paid); null: no limit. */
  max_per_customer: number | null;
  sale_starts_at: Date | null;
  sale_ends_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** A product's fair-sale settings as the admin API sets them: absent keeps, null clears. */
export interface SaleSettings {
  maxPerCustomer?: number | null | undefined;
  saleStartsAt?: Date | null | undefined;
  saleEndsAt?: Date | null | undefined;
}

export interface StockRow {
  id: number;
  available: number;
  version: number;
}

/** I1's figures of a product, summed over the lines of holds and orders. */
export interface StockFiguresRow extends StockRow {
  name: string;
  total_stock: number;
  /** Units in active holds. */
  held: number;
  /** Units in orders created or paid. */
  ordered: number;
  /** Of `ordered`, the units in paid orders. */
  paid: number;
}

export async function findProduct(db: Db, id: number): Promise<ProductRow | null> {
  const { rows } = await db.query<ProductRow>(SQL.find, [id]);
  return rows[0] ?? null;
}

/** The currency of each given product that exists. */
export async function readCurrencies(db: Db, ids: number[]): Promise<{ id: number; currency: string }[]> {
  const { rows } = await db.query<{ id: number; currency: string }>(SQL.currencies, [ids]);
  return rows;
}

/** Available stock and version of the given products, or of all of them. */
export async function readStock(db: Db, ids: number[] | null = null): Promise<StockRow[]> {
  const { rows } = await db.query<StockRow>(SQL.stock, [ids]);
  return rows;
}

export async function readStockFigures(db: Db, ids: number[] | null = null): Promise<StockFiguresRow[]> {
  const { rows } = await db.query<StockFiguresRow>(SQL.figures, [ids]);
  return rows;
}

/** A customer past a product's limit (invariant I8): what they have and the limit. */
export interface CustomerPastLimitRow {
  product_id: number;
  customer_id: string;
  units: number;
  max_per_customer: number;
}

export async function readCustomersPastLimit(db: Db, ids: number[] | null = null): Promise<CustomerPastLimitRow[]> {
  const { rows } = await db.query<CustomerPastLimitRow>(SQL.pastLimit, [ids]);
  return rows;
}

/** Active holds (I3) or created orders (I9) of a product past their deadline by more than a grace. */
export interface OverdueRow {
  invariant: 'I3' | 'I9';
  product_id: number;
  late: number;
  oldest_seconds: number;
}

export async function readOverduePastGrace(db: Db, ids: number[] | null, graceSeconds: number): Promise<OverdueRow[]> {
  const { rows } = await db.query<OverdueRow>(SQL.overdue, [ids, graceSeconds]);
  return rows;
}

/**
 * The same figures of every product for the live dashboard, with `held` taken from I1 instead of
 * summed over the active holds: a read of the products and orders only (sale-figures.sql).
 */
export async function readSaleFigures(db: Db): Promise<StockFiguresRow[]> {
  const { rows } = await db.query<StockFiguresRow>(SQL.saleFigures);
  return rows;
}

export async function insertProduct(
  db: Db,
  p: { name: string; price: number | string; stock: number; currency?: string } & SaleSettings,
): Promise<ProductRow> {
  const { rows } = await db.query<ProductRow>(SQL.insert, [
    p.name,
    p.price,
    p.stock,
    p.currency ?? DEFAULT_CURRENCY,
    p.maxPerCustomer ?? null,
    p.saleStartsAt ?? null,
    p.saleEndsAt ?? null,
  ]);
  return present(rows[0], 'row of the insert');
}

export async function seedProducts(
  db: Db,
  currency: string = DEFAULT_CURRENCY,
): Promise<{ id: number; name: string; total_stock: number }[]> {
  const { rows } = await db.query<{ id: number; name: string; total_stock: number }>(SQL.seed, [currency]);
  return rows;
}

export async function updateProductRow(
  db: Db,
  id: number,
  changes: { name?: string | undefined; price?: number | undefined } & SaleSettings,
): Promise<ProductRow | null> {
  const { rows } = await db.query<ProductRow>(SQL.update, [
    id,
    changes.name ?? null,
    changes.price ?? null,
    changes.maxPerCustomer !== undefined,
    changes.maxPerCustomer ?? null,
    changes.saleStartsAt !== undefined,
    changes.saleStartsAt ?? null,
    changes.saleEndsAt !== undefined,
    changes.saleEndsAt ?? null,
  ]);
  return rows[0] ?? null;
}

/** Moves available and total stock by `delta` in one conditional update; null when refused or unknown. */
export async function adjustStockRow(
  db: Db,
  a: { productId: number; delta: number; reason: string; maxTotalStock: number },
): Promise<(ProductRow & { movement_id: number }) | null> {
  const { rows } = await db.query<ProductRow & { movement_id: number }>(SQL.adjust, [
    a.productId,
    a.delta,
    a.reason,
    a.maxTotalStock,
  ]);
  return rows[0] ?? null;
}
