import type pg from 'pg';
import { Webhook } from 'standardwebhooks';

/** Every row count and every product's stock figures: equal snapshots mean nothing was written. */
export async function dbSnapshot(pool: pg.Pool): Promise<Record<string, unknown>> {
  const { rows: counts } = await pool.query(
    `select (select count(*)::int from products) as products, (select count(*)::int from holds) as holds,
            (select count(*)::int from orders) as orders, (select count(*)::int from payment_events) as payment_events,
            (select count(*)::int from stock_movements) as stock_movements`,
  );
  const { rows: stock } = await pool.query('select id::int, available, version::text from products order by id');
  const { rows: statuses } = await pool.query(
    `select (select string_agg(status::text, ',' order by id) from holds) as holds,
            (select string_agg(payment_status::text, ',' order by id) from orders) as orders`,
  );
  return { ...counts[0], stock, statuses: statuses[0] };
}

/** Standard Webhooks headers for `body`, signed with `secret` at `at` (default now). */
export function signWebhook(secret: string, body: string, opts: { id?: string; at?: Date } = {}): Record<string, string> {
  const id = opts.id ?? `msg_${Math.random().toString(36).slice(2)}${Date.now()}`;
  const at = opts.at ?? new Date();
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}

export const newWebhookSecret = (): string => `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64')}`;
