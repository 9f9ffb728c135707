/**
 * A payment provider: reports a payment's result to flashsale as a Standard Webhooks signed event
 * (webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256 of `id.timestamp.body` with the
 * shared secret), retrying with backoff while flashsale is unreachable or answers 5xx. A retry
 * keeps the message id and the idempotency key, so flashsale applies the payment once.
 *
 *   WEBHOOK_SECRET=whsec_... npm start          # flashsale verifying signatures
 *   WEBHOOK_SECRET=whsec_... node --import tsx examples/payment-provider.ts <order_id> paid|failed
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Webhook } from 'standardwebhooks';

export interface PaymentEvent {
  orderId: number;
  status: 'paid' | 'failed';
  /** The provider's event id: the idempotency key, and the webhook message id. */
  eventId?: string;
}

export async function sendPaymentEvent(
  flashsaleUrl: string,
  secret: string,
  event: PaymentEvent,
  opts: { attempts?: number } = {},
): Promise<{ status: number; body: unknown }> {
  const eventId = event.eventId ?? `evt_${randomUUID()}`;
  const body = JSON.stringify({ order_id: event.orderId, payment_status: event.status, idempotency_key: eventId });
  const signer = new Webhook(secret);
  const attempts = opts.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const at = new Date();
    try {
      const res = await fetch(new URL('/api/payments/webhook', flashsaleUrl), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': `msg_${eventId}`,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signer.sign(`msg_${eventId}`, at, body),
        },
        body,
      });
      if (res.status < 500 || attempt >= attempts) return { status: res.status, body: await res.json() };
    } catch (err) {
      if (attempt >= attempts) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [orderId, status] = process.argv.slice(2);
  const secret = process.env['WEBHOOK_SECRET'];
  if (!orderId || (status !== 'paid' && status !== 'failed') || !secret) {
    console.error('usage: WEBHOOK_SECRET=... payment-provider.ts <order_id> paid|failed');
    process.exit(2);
  }
  const result = await sendPaymentEvent(process.env['FLASHSALE_URL'] ?? 'http://localhost:3000', secret, {
    orderId: Number(orderId),
    status,
  });
  console.log(result.status, JSON.stringify(result.body));
  process.exitCode = result.status < 300 ? 0 : 1;
}
