import { Type } from 'typebox';
import { Currency, Id, PageOf } from './common.ts';

export const ProductParams = Type.Object({ id: Id });

export const PRODUCT_EXAMPLE = {
  id: 1,
  name: 'Flash Sale Item',
  price: 49.99,
  currency: 'USD',
  available_stock: 100,
  total_stock: 100,
};

export const Product = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    price: Type.Number({ description: "Unit price in `currency`, with at most the currency's decimals (its minor unit)." }),
    currency: Currency,
    available_stock: Type.Integer({ description: 'Units that can still be held, from the Redis mirror.' }),
    total_stock: Type.Integer({ description: 'Units available, held and ordered (not failed) together.' }),
  },
  { examples: [PRODUCT_EXAMPLE] },
);

export const ProductPage = PageOf(Product, PRODUCT_EXAMPLE);
