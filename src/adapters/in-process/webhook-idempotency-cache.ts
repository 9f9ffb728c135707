import type { WebhookIdempotencyCache, StoredResponse } from '../../app/ports.ts';

/** How often expired entries are dropped, so a long-running process does not grow without end. */
const PRUNE_EVERY_MS = 60_000;

/**
 * Webhook responses by idempotency key, kept in this process for the embedded shape. Values are
 * stored as JSON text, as Redis stores them, so a caller never shares or mutates what was stored.
 * The database's payment_events table stays the lasting layer, exactly as in production.
 */
export class InProcessWebhookIdempotencyCache implements WebhookIdempotencyCache {
  private readonly entries = new Map<string, { json: string; expiresAt: number }>();
  private lastPrune: number;

  constructor(private readonly now: () => number = Date.now) {
    this.lastPrune = now();
  }

  async get(key: string): Promise<StoredResponse | null> {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return null;
    }
    return JSON.parse(entry.json) as StoredResponse;
  }

  async put(key: string, value: StoredResponse, ttlSeconds: number): Promise<void> {
    const now = this.now();
    this.entries.set(key, { json: JSON.stringify(value), expiresAt: now + ttlSeconds * 1000 });
    if (now - this.lastPrune >= PRUNE_EVERY_MS) this.prune(now);
  }

  /** Entries currently held, expired or not (for tests of the pruning). */
  get size(): number {
    return this.entries.size;
  }

  private prune(now: number): void {
    this.lastPrune = now;
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
