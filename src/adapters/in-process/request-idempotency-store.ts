import { randomUUID } from 'node:crypto';
import type { IdempotencyClaim, RecordedResponse, RequestIdempotencyStore } from '../../http/ports.ts';
import { ExpiringMap } from './expiring-map.ts';

type MemoryRecord =
  | { state: 'in_flight'; fingerprint: string; token: string }
  | { state: 'completed'; fingerprint: string; response: RecordedResponse };

/** `Idempotency-Key` records of this one process, for the embedded single-process mode. */
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
