import type { FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { HTTP_PROBLEMS } from '../problem-types.ts';
import { sendProblem } from './problem.ts';

/**
 * The library accepts timestamps up to five minutes either side of now, so a signed message stays
 * valid for ten minutes at most: its id is remembered that long to refuse it a second time.
 */
export const WEBHOOK_REPLAY_WINDOW_SECONDS = 10 * 60;

const seenIds = new WeakMap<FastifyRequest, string>();

/**
 * The OpenAPI security requirement of the webhook: the three Standard Webhooks headers together
 * (schemes declared in plugins/openapi.ts). Checked only when WEBHOOK_SECRET is set.
 */
export const WEBHOOK_SECURITY = [{ webhookId: [], webhookTimestamp: [], webhookSignature: [] }];

/**
 * Standard Webhooks verification (HMAC-SHA256 over `id.timestamp.body`, five minutes' tolerance)
 * against each configured secret in turn, so a secret can be rotated without downtime, then a
 * replay check: a `webhook-id` already accepted within the window is refused. No secrets means no
 * verification: the service warns about that at start.
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
      } catch {
        continue; // try the next secret
      }
      if (await isReplay(request, headers['webhook-id'])) {
        await sendProblem(
          reply,
          HTTP_PROBLEMS.invalidSignature,
          'This webhook-id was already delivered; a signed message is accepted once.',
        );
      }
      return;
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

async function isReplay(request: FastifyRequest, messageId: string): Promise<boolean> {
  try {
    const first = await request.server.flashsale.guards.webhookReplays.firstSighting(messageId, WEBHOOK_REPLAY_WINDOW_SECONDS);
    if (first) seenIds.set(request, messageId);
    return !first;
  } catch (err) {
    // The payment's own idempotency key in PostgreSQL still applies it once: let it through.
    request.log.warn({ err }, 'webhook replay guard unavailable; relying on the idempotency key');
    return false;
  }
}

/**
 * A message we failed to process (5xx) is forgotten again, so the provider's retry of the same
 * `webhook-id` is accepted rather than refused as a replay. The webhook route's `onResponse`: it
 * returns at once for every other answer, without a promise.
 */
export const forgetFailedWebhook: onResponseHookHandler = (request, reply, done) => {
  const messageId = seenIds.get(request);
  if (messageId === undefined || reply.statusCode < 500) return done();
  void request.server.flashsale.guards.webhookReplays.forget(messageId).then(
    () => done(),
    (err: unknown) => {
      request.log.warn(
        { err, messageId },
        'could not forget a failed webhook-id; its retry may be refused until the window ends',
      );
      done();
    },
  );
};
