import { Type } from 'typebox';
import { Id } from '../../contract/common.ts';

export const CreateOrderBody = Type.Object(
  { hold_id: Type.String({ minLength: 1, maxLength: 64, description: 'An active hold to turn into an order.' }) },
  { examples: [{ hold_id: '6f1c2b4e-8d1a-4f0e-9c3b-5a7d2e9f1b30' }] },
);

export const OrderParams = Type.Object({ order_id: Id });
