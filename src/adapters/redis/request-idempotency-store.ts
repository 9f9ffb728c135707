import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ClientContext, Result } from 'ioredis';
import type { RedisClient } from './client.ts';
import type { IdempotencyClaim, RecordedResponse, RequestIdempotencyStore } from '../../http/ports.ts';

const lua = (name: string): string => readFileSync(new URL(`./commands/${name}`, import.meta.url), 'utf8');
const CLAIM = lua('claim-idempotency-key-1.lua');
const RELEASE = lua('release-idempotency-key-1.lua');

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    flashsaleClaimIdempotencyKey(key: string, inFlightRecord: string, lockSeconds: number): Result<string, Context>;
    flashsaleReleaseIdempotencyKey(key: string, token: string): Result<number, Context>;
  }
}

function defineCommands(redis: RedisClient): void {
  if (!redis.flashsaleClaimIdempotencyKey) redis.defineCommand('flashsaleClaimIdempotencyKey', { numberOfKeys: 1, lua: CLAIM });
  if (!redis.flashsaleReleaseIdempotencyKey)
    redis.defineCommand('flashsaleReleaseIdempotencyKey', { numberOfKeys: 1, lua: RELEASE });
}

type StoredRecord =
  | { state: 'in_flight'; fingerprint: string; token: string }
  | { state: 'completed'; fingerprint: string; response: RecordedResponse };

/** `Idempotency-Key` records as JSON strings; the caller hashes scope, route and key into `key`. */
export class RedisRequestIdempotencyStore implements RequestIdempotencyStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix = '',
  ) {
    defineCommands(redis);
  }

  private key(key: string): string {
    return `${this.prefix}idempotency:request:${key}`;
  }

  async claim(key: string, fingerprint: string, lockSeconds: number): Promise<IdempotencyClaim> {
    const token = randomUUID();
    const record: StoredRecord = { state: 'in_flight', fingerprint, token };
    const existing = await this.redis.flashsaleClaimIdempotencyKey(this.key(key), JSON.stringify(record), lockSeconds);
    if (existing === '') return { state: 'claimed', token };
    const stored = JSON.parse(existing) as StoredRecord;
    return stored.state === 'completed'
      ? { state: 'completed', fingerprint: stored.fingerprint, response: stored.response }
      : { state: 'in_flight', fingerprint: stored.fingerprint };
  }

  async complete(key: string, fingerprint: string, response: RecordedResponse, ttlSeconds: number): Promise<void> {
    const record: StoredRecord = { state: 'completed', fingerprint, response };
    await this.redis.set(this.key(key), JSON.stringify(record), 'EX', ttlSeconds);
  }

  async release(key: string, token: string): Promise<void> {
    await this.redis.flashsaleReleaseIdempotencyKey(this.key(key), token);
  }
}
