import { randomUUID } from 'node:crypto';
import type {
  IdempotencyClaim,
  RateCounter,
  RecordedResponse,
  RequestIdempotencyStore,
  WebhookReplayGuard,
} from '../../app/ports.ts';

/**
 * In-process stand-ins for the Redis edge guards, for the embedded single-process mode. Entries
 * expire lazily when read and are swept when the map grows, so memory stays bounded by traffic.
 */
class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    if (this.entries.size >= 10_000) this.sweep();
    this.entries.set(key, { value, expiresAt: this.now() + ttlMs });
  }

  ttl(key: string): number {
    const entry = this.entries.get(key);
    return entry ? Math.max(0, entry.expiresAt - this.now()) : 0;
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

type MemoryRecord =
  | { state: 'in_flight'; fingerprint: string; token: string }
  | { state: 'completed'; fingerprint: string; response: RecordedResponse };

export class InProcessRequestIdempotencyStore implements RequestIdempotencyStore {
  private readonly records: ExpiringMap<MemoryRecord>;
  constructor(now?: () => number) {
    this.records = new ExpiringMap(now);
  }

  async claim(key: string, fingerprint: string, lockSeconds: number): Promise<IdempotencyClaim> {
    const stored = this.records.get(key);
    if (stored?.state === 'completed') return { state: 'completed', fingerprint: stored.fingerprint, response: stored.response };
    if (stored) return { state: 'in_flight', fingerprint: stored.fingerprint };
    const token = randomUUID();
    this.records.set(key, { state: 'in_flight', fingerprint, token }, lockSeconds * 1000);
    return { state: 'claimed', token };
  }

  async complete(key: string, fingerprint: string, response: RecordedResponse, ttlSeconds: number): Promise<void> {
    this.records.set(key, { state: 'completed', fingerprint, response }, ttlSeconds * 1000);
  }

  async release(key: string, token: string): Promise<void> {
    const stored = this.records.get(key);
    if (stored?.state === 'in_flight' && stored.token === token) this.records.delete(key);
  }
}

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

export class InProcessRateCounter implements RateCounter {
  private readonly counters: ExpiringMap<number>;
  constructor(now?: () => number) {
    this.counters = new ExpiringMap(now);
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
    const count = (this.counters.get(key) ?? 0) + 1;
    if (count === 1) this.counters.set(key, 1, windowMs);
    else this.counters.set(key, count, this.counters.ttl(key));
    return { count, resetMs: this.counters.ttl(key) };
  }
}
