import { Type } from 'typebox';
import { Id, Timestamp } from './common.ts';

export const MAX_HOLD_QUANTITY = 1_000_000;

export const PlaceHoldBody = Type.Object({
  product_id: Id,
  quantity: Type.Integer({ minimum: 1, maximum: MAX_HOLD_QUANTITY, description: 'Units to reserve.' }),
});

export const HoldParams = Type.Object({
  hold_id: Type.String({ minLength: 1, maxLength: 64, description: 'The hold id (a UUID).' }),
});

export const Hold = Type.Object({
  hold_id: Type.String({ format: 'uuid' }),
  product_id: Type.Integer(),
  quantity: Type.Integer(),
  status: Type.Union([Type.Literal('active'), Type.Literal('confirmed'), Type.Literal('expired'), Type.Literal('released')]),
  expires_at: Timestamp,
  created_at: Timestamp,
  ended_at: Type.Union([Timestamp, Type.Null()]),
});
