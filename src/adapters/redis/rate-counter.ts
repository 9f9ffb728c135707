import { readFileSync } from 'node:fs';
import type { ClientContext, Result } from 'ioredis';
import type { RedisClient } from './client.ts';
import type { RateCounter } from '../../http/ports.ts';

const COUNT_HIT = readFileSync(new URL('./commands/count-hit-1.lua', import.meta.url), 'utf8');

declare module 'ioredis' {
  interface RedisCommander<Context extends ClientContext = { type: 'default' }> {
    flashsaleCountHit(key: string, windowMs: number): Result<[number, number], Context>;
  }
}

/** Fixed-window counters shared by every process of the service. */
export class RedisRateCounter implements RateCounter {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix = '',
  ) {
    if (!redis.flashsaleCountHit) redis.defineCommand('flashsaleCountHit', { numberOfKeys: 1, lua: COUNT_HIT });
  }

  async hit(key: string, windowMs: number): Promise<{ count: number; resetMs: number }> {
    const [count, resetMs] = await this.redis.flashsaleCountHit(`${this.prefix}rate:${key}`, windowMs);
    return { count: Number(count), resetMs: Number(resetMs) };
  }
}
