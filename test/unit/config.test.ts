import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      HOLD_TTL_SECONDS: 120,
      ORDER_PAYMENT_TTL_SECONDS: 900,
      LOG_LEVEL: 'info',
      RUN_WORKER: true,
    });
  });

  it('ORDER_PAYMENT_TTL_SECONDS: 0 turns the payment deadline off; negative, fractional or past 30 days is refused', () => {
    expect(loadConfig({ ORDER_PAYMENT_TTL_SECONDS: '0' }).ORDER_PAYMENT_TTL_SECONDS).toBe(0);
    expect(loadConfig({ ORDER_PAYMENT_TTL_SECONDS: '2592000' }).ORDER_PAYMENT_TTL_SECONDS).toBe(2_592_000);
    for (const bad of ['-1', '1.5', '2592001', 'soon'])
      expect(() => loadConfig({ ORDER_PAYMENT_TTL_SECONDS: bad }), bad).toThrow(/ORDER_PAYMENT_TTL_SECONDS/);
  });

  it('reads and converts what is set', () => {
    const config = loadConfig({ PORT: '8080', HOLD_TTL_SECONDS: '5', RUN_WORKER: 'false', LOG_LEVEL: 'debug' });
    expect(config).toMatchObject({ PORT: 8080, HOLD_TTL_SECONDS: 5, RUN_WORKER: false, LOG_LEVEL: 'debug' });
  });

  it('refuses bad values with a message naming each of them', () => {
    const bad = () => loadConfig({ PORT: 'eighty', HOLD_TTL_SECONDS: '0', DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    expect(bad).toThrow(ConfigError);
    try {
      bad();
    } catch (err) {
      const message = (err as Error).message;
      for (const key of ['PORT', 'HOLD_TTL_SECONDS', 'DATABASE_URL', 'LOG_LEVEL']) expect(message).toContain(key);
      expect(message).not.toContain('eighty');
      expect(message).not.toContain('loud');
    }
  });

  it('never repeats the value of a bad setting: secrets and passwords stay out of stderr', () => {
    const env = {
      ADMIN_TOKEN: 'sh0rt-s3cret',
      DATABASE_URL: 'mysql://shop:hunter2-password@db.internal/shop',
      REDIS_URL: 'http://:redis-pass-77@cache:6379',
      WEBHOOK_SECRET: '',
      CURRENCY: 'ZZZ',
    };
    let message = '';
    try {
      loadConfig(env);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('ADMIN_TOKEN');
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('REDIS_URL');
    for (const secret of ['sh0rt-s3cret', 'hunter2-password', 'redis-pass-77', 'db.internal'])
      expect(message).not.toContain(secret);
    // A setting that passes the schema but is still refused is named without its value too.
    expect(() => loadConfig({ CURRENCY: 'ZZZ' })).toThrow(/CURRENCY: is not an ISO 4217 currency code$/);
  });
});
