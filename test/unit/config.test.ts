import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ PORT: 3000, HOLD_TTL_SECONDS: 120, LOG_LEVEL: 'info', RUN_WORKER: true });
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
      expect(message).toContain('"eighty"');
    }
  });
});
