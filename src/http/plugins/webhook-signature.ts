import type { FastifyReply, FastifyRequest } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { HTTP_PROBLEMS } from '../problem-types.ts';
import { sendProblem } from './problem.ts';

/**
 * Standard Webhooks verification (HMAC-SHA256 over `id.timestamp.body`, five minutes' tolerance)
 * against each configured secret in turn, so a secret can be rotated without downtime. No secrets
 * means no verification: the service warns about that at start.
 */
export function verifyWebhookSignature(secrets: string[]) {
  const verifiers = secrets.map((s) => new Webhook(s));
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (verifiers.length === 0) return;
    const headers = {
      'webhook-id': String(request.headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(request.headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(request.headers['webhook-signature'] ?? ''),
    };
    const raw = request.rawBody ?? '';
    for (const verifier of verifiers) {
      try {
        verifier.verify(raw, headers);
        return;
      } catch {
        // try the next secret
      }
    }
    await sendProblem(
      reply,
      HTTP_PROBLEMS.invalidSignature,
      'The webhook-id, webhook-timestamp and webhook-signature headers must carry a valid signature of this body made within the last five minutes.',
    );
  };
}

/** WEBHOOK_SECRET may hold several secrets separated by spaces or commas (rotation). */
export const parseWebhookSecrets = (value: string | undefined): string[] =>
  (value ?? '').split(/[\s,]+/).filter((s) => s.length > 0);
