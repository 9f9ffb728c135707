import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { applyPayment } from '../../../app/apply-payment.ts';
import { IDEMPOTENCY_RETENTION_TEXT } from '../../../domain/retention.ts';
import { forgetFailedWebhook, verifyWebhookSignature, WEBHOOK_SECURITY } from '../../plugins/webhook-signature.ts';
import { problems } from '../../schemas/common.ts';
import { Order } from '../../../contract/orders.ts';
import { PendingPayment } from '../../../contract/payments.ts';
import { PaymentWebhookBody } from '../../schemas/payments.ts';
import { contextFor } from '../../request-context.ts';

const payments: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/api/payments/webhook',
    {
      schema: {
        tags: ['payments'],
        operationId: 'receivePaymentWebhook',
        security: WEBHOOK_SECURITY,
        summary: 'Payment provider callback: apply a payment result once',
        description:
          '200 with the order (also for an event on an order already paid, failed or cancelled, which changes nothing, ' +
          'except that the first paid event for an order cancelled at its payment_due_at sets refund_due). An order ' +
          'still created past its payment_due_at is cancelled first, and its stock returns. ' +
          'A repeat of the same idempotency_key and payload answers the stored response with ' +
          '`Idempotent-Replayed: true`; the same key with another payload is 422. An event for an order that ' +
          `does not exist yet is kept for ${IDEMPOTENCY_RETENTION_TEXT} and answered 202. With WEBHOOK_SECRET set, a Standard ` +
          'Webhooks signature (webhook-id, webhook-timestamp, webhook-signature) is required.',
        body: PaymentWebhookBody,
        response: { 200: Order, 202: PendingPayment, ...problems(400, 401, 413, 415, 422) },
      },
      preHandler: verifyWebhookSignature(app.flashsale.webhookSecrets),
      onResponse: forgetFailedWebhook,
    },
    async (request, reply) => {
      const result = await applyPayment(contextFor(request), {
        orderId: request.body.order_id,
        paymentStatus: request.body.payment_status,
        idempotencyKey: request.body.idempotency_key,
      });
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(result.status).send(result.body);
    },
  );
};

export default payments;
