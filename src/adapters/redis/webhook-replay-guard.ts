import type { RedisClient } from './client.ts';
import type { WebhookReplayGuard } from '../../http/ports.ts';

/** Webhook message ids seen, one key each with the tolerance window as its lifetime. */
export class RedisWebhookReplayGuard implements WebhookReplayGuard {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix = '',
  ) {}

  private key(messageId: string): string {
    return `${this.prefix}webhook:seen:${messageId}`;
  }

  async firstSighting(messageId: string, ttlSeconds: number): Promise<boolean> {
    return (await this.redis.set(this.key(messageId), '1', 'EX', ttlSeconds, 'NX')) === 'OK';
  }

  async forget(messageId: string): Promise<void> {
    await this.redis.del(this.key(messageId));
  }
}
