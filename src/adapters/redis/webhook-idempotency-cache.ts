import type { RedisClient } from './client.ts';
import type { WebhookIdempotencyCache, StoredResponse } from '../../app/ports.ts';

/** Webhook responses by idempotency key, as JSON strings that expire on their own. */
export class RedisWebhookIdempotencyCache implements WebhookIdempotencyCache {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix = '',
  ) {}

  private key(key: string): string {
    return `${this.prefix}idempotency:webhook:${key}`;
  }

  async get(key: string): Promise<StoredResponse | null> {
    const raw = await this.redis.get(this.key(key));
    return raw === null ? null : (JSON.parse(raw) as StoredResponse);
  }

  async put(key: string, value: StoredResponse, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.key(key), JSON.stringify(value), 'EX', ttlSeconds);
  }
}
