import { SaleClient } from '../../src/cli/sale-load.ts';
import { present } from '../../src/domain/present.ts';
import { itemsLoad, type Measurement } from '../lib/measure.ts';

export interface WebhookResults {
  applied: Measurement;
  duplicates: Measurement;
}

/**
 * Makes `n` orders through the API (holds, then orders), then pays each once (applied) and
 * replays every payment event with the same key (duplicates answered from the idempotency layers).
 */
export async function webhooks(apiUrl: string, productId: number, n: number, connections: number): Promise<WebhookResults> {
  const http = new SaleClient(apiUrl, connections);
  try {
    const orderIds: number[] = [];
    await itemsLoad(
      Array.from({ length: n }, (_, i) => i),
      connections,
      async () => {
        const hold = await http.call('POST /api/holds', 'POST', '/api/holds', { product_id: productId, quantity: 1 });
        if (hold.status !== 201) throw new Error(`hold for the webhook bench: ${hold.status} ${JSON.stringify(hold.body)}`);
        const order = await http.call('POST /api/orders', 'POST', '/api/orders', { hold_id: hold.body?.hold_id });
        if (order.status !== 201) throw new Error(`order for the webhook bench: ${order.status} ${JSON.stringify(order.body)}`);
        orderIds.push(present(order.body?.order_id, 'order_id of a created order'));
        return true;
      },
    );
    const pay = (orderId: number) =>
      http.call('POST /api/payments/webhook', 'POST', '/api/payments/webhook', {
        order_id: orderId,
        payment_status: 'paid',
        idempotency_key: `bench-pay-${orderId}`,
      });
    const applied = await itemsLoad(orderIds, connections, async (id) => {
      const res = await pay(id);
      return res.status === 200 && res.body?.payment_status === 'paid';
    });
    const duplicates = await itemsLoad(orderIds, connections, async (id) => (await pay(id)).status === 200);
    return { applied, duplicates };
  } finally {
    await http.close();
  }
}
