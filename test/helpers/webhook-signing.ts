import { Webhook } from 'standardwebhooks';

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

export const newWebhookSecret = (): string =>
  `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64')}`;
