import { Type, type Static } from 'typebox';
import { HOLD_ENDERS, HOLD_STATUSES } from '../domain/statuses.ts';
import { CustomerIdOrNull, Id, OneOf, PageOf, Timestamp } from './common.ts';

const MAX_HOLD_QUANTITY = 1_000_000;

export const HoldQuantity = Type.Integer({ minimum: 1, maximum: MAX_HOLD_QUANTITY, description: 'Units to reserve.' });

export const HoldLine = Type.Object({ product_id: Id, quantity: HoldQuantity });

export const HOLD_EXAMPLE = {
  hold_id: '6f1c2b4e-8d1a-4f0e-9c3b-5a7d2e9f1b30',
  customer_id: 'cus_8Hq2',
  product_id: 1,
  quantity: 2,
  items: [{ product_id: 1, quantity: 2 }],
  status: 'active' as const,
  expires_at: '2026-12-01T12:02:00.000Z',
  created_at: '2026-12-01T12:00:00.000Z',
  ended_at: null,
};

export const Hold = Type.Object(
  {
    hold_id: Type.String({ format: 'uuid' }),
    customer_id: CustomerIdOrNull,
    product_id: Type.Optional(Type.Integer({ description: 'One-line holds only: the product of their line.' })),
    quantity: Type.Optional(Type.Integer({ description: 'One-line holds only: the quantity of their line.' })),
    items: Type.Array(HoldLine, { description: 'The lines, in the order they were asked for.' }),
    status: OneOf(HOLD_STATUSES),
    expires_at: Timestamp,
    created_at: Timestamp,
    ended_at: Type.Union([Timestamp, Type.Null()]),
  },
  { examples: [HOLD_EXAMPLE] },
);

const ADMIN_HOLD_EXAMPLE = { ...HOLD_EXAMPLE, ended_by: null };

/** A hold as the operator's listing shows it: also what ended it. */
export const AdminHold = Type.Object(
  {
    ...Hold.properties,
    ended_by: Type.Union([...OneOf(HOLD_ENDERS).anyOf, Type.Null()], {
      description: 'What ended the hold: an order, the client, the expiry job, the sweeper or a request.',
    }),
  },
  { examples: [ADMIN_HOLD_EXAMPLE] },
);

export const HoldPage = PageOf(AdminHold, ADMIN_HOLD_EXAMPLE);

export type HoldLineView = Static<typeof HoldLine>;
export type HoldView = Static<typeof Hold>;
export type AdminHoldView = Static<typeof AdminHold>;
