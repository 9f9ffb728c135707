import { readFileSync } from 'node:fs';
import type { ClientContext, Result } from 'ioredis';
import type { PulseTally, SalePulseStore } from '../../app/ports.ts';
import type { RedisClient } from './client.ts';

const ADD_PULSE = readFileSync(new URL('./commands/add-pulse-1.lua', import.meta.url), 'utf8');
/** A few minutes: readers only look a few seconds back. */
const KEEP_SECONDS = 300;

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    flashsaleAddPulse(key: string, keepSeconds: number, ...fieldsAndCounts: (string | number)[]): Result<number, Context>;
  }
}

/**
 * The sale-wide per-second counters as one Redis hash per second, shared by every process. Each
 * command names one key, so a Redis Cluster routes each to its node.
 */
export class RedisSalePulseStore implements SalePulseStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix = '',
  ) {
    if (!redis.flashsaleAddPulse) redis.defineCommand('flashsaleAddPulse', { numberOfKeys: 1, lua: ADD_PULSE });
  }

  private key(second: number): string {
    return `${this.prefix}pulse:${second}`;
  }

  async add(second: number, tally: PulseTally): Promise<void> {
    const pairs = Object.entries(tally).flat();
    if (pairs.length > 0) await this.redis.flashsaleAddPulse(this.key(second), KEEP_SECONDS, ...pairs);
  }

  async read(seconds: number[]): Promise<PulseTally[]> {
    // Sent together: the connection pipelines them into one round trip.
    const hashes = await Promise.all(seconds.map((s) => this.redis.hgetall(this.key(s))));
    return hashes.map((h) => Object.fromEntries(Object.entries(h).map(([field, count]) => [field, Number(count)])));
  }
}
