import type { WebhookReplayGuard } from '../../http/ports.ts';
import { ExpiringMap } from './expiring-map.ts';

/** Webhook message ids seen, for the embedded single-process mode. */
export class InProcessWebhookReplayGuard implements WebhookReplayGuard {
  private readonly seen: ExpiringMap<true>;
  constructor(now?: () => number) {
    this.seen = new ExpiringMap(now);
  }

  async firstSighting(messageId: string, ttlSeconds: number): Promise<boolean> {
    if (this.seen.get(messageId)) return false;
    this.seen.set(messageId, true, ttlSeconds * 1000);
    return true;
  }

  async forget(messageId: string): Promise<void> {
    this.seen.delete(messageId);
  }
}
