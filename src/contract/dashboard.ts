import { Type, type Static } from 'typebox';

// The dashboard's event stream (GET /api/admin/dashboard/stream): the `sale` event's data.

const Count = Type.Integer({ minimum: 0 });
const PerSecond = Type.Integer({ minimum: 0, description: 'Events in that one second, summed over every process.' });
const Millis = Type.Union([Type.Number({ minimum: 0 }), Type.Null()]);

export const ProductFigures = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  total_stock: Count,
  available: Count,
  held: Type.Integer({ minimum: 0, description: 'Units in active holds.' }),
  ordered: Type.Integer({
    minimum: 0,
    description: 'Units in orders created or paid (available + held + ordered = total_stock).',
  }),
  paid: Type.Integer({ minimum: 0, description: 'The paid part of ordered.' }),
});

/** The data of each `sale` event of GET /api/admin/dashboard/stream. */
export const SaleSnapshot = Type.Object(
  {
    at: Type.String({ format: 'date-time' }),
    second: Type.Integer({ description: 'The epoch second the rates are of, two seconds before `at`.' }),
    figures_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    products: Type.Array(ProductFigures, { description: 'Every product, exact from PostgreSQL.' }),
    rates: Type.Object({
      holds_placed: PerSecond,
      holds_refused: Type.Object(
        {
          insufficient_stock_mirror: PerSecond,
          insufficient_stock_db: PerSecond,
          product_not_found: PerSecond,
          sale_window: Type.Integer({ minimum: 0, description: 'sale-not-started and sale-ended, in that one second.' }),
          customer_required: PerSecond,
          purchase_limit: Type.Integer({ minimum: 0, description: 'purchase-limit-exceeded, in that one second.' }),
          rate_limited: PerSecond,
        },
        { description: 'Holds refused per second, by reason, summed over every process.' },
      ),
      holds_expired: PerSecond,
      orders_created: PerSecond,
      payments_paid: PerSecond,
      payments_failed: PerSecond,
    }),
    hold_latency_ms: Type.Object({
      p50: Millis,
      p99: Millis,
      samples: Type.Integer({ minimum: 0, description: 'POST /api/holds answers the quantiles are of (last 5 seconds).' }),
    }),
    warnings: Type.Array(Type.String(), { description: 'Sources that could not be read this time; their last values are kept.' }),
  },
  {
    description: 'The sale as a whole at one moment, across every API process and worker.',
    examples: [
      {
        at: '2026-12-01T12:00:03.000Z',
        second: 1796126401,
        figures_at: '2026-12-01T12:00:02.950Z',
        products: [{ id: 1, name: 'Console', total_stock: 100, available: 58, held: 12, ordered: 30, paid: 21 }],
        rates: {
          holds_placed: 40,
          holds_refused: {
            insufficient_stock_mirror: 0,
            insufficient_stock_db: 0,
            product_not_found: 0,
            sale_window: 3,
            customer_required: 0,
            purchase_limit: 1,
            rate_limited: 0,
          },
          holds_expired: 2,
          orders_created: 9,
          payments_paid: 7,
          payments_failed: 1,
        },
        hold_latency_ms: { p50: 4.2, p99: 18.5, samples: 180 },
        warnings: [],
      },
    ],
  },
);

export type ProductFiguresView = Static<typeof ProductFigures>;
export type SaleSnapshotView = Static<typeof SaleSnapshot>;
/** What the whole sale did per second. */
export type SaleRatesView = SaleSnapshotView['rates'];
/** Latency of POST /api/holds answers, in milliseconds, over all processes. */
export type HoldLatencyView = SaleSnapshotView['hold_latency_ms'];
