import { Type } from 'typebox';
import { Currency, Id, PageOf } from './common.ts';

export const ProductParams = Type.Object({ id: Id });

export const Product = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  price: Type.Number({ description: "Unit price in `currency`, with at most the currency's decimals (its minor unit)." }),
  currency: Currency,
  available_stock: Type.Integer({ description: 'Units that can still be held, from the Redis mirror.' }),
  total_stock: Type.Integer({ description: 'Units available, held and ordered (not failed) together.' }),
});

export const ProductPage = PageOf(Product);
