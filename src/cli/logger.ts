import { pino, type Logger } from 'pino';
import type { Config } from '../config.ts';

/**
 * Structured JSON logs on stdout and, with LOG_FILE, appended to that file as well. Both writes
 * are synchronous, so the last lines before a crash are not lost in a buffer.
 */
export function createLogger(config: Pick<Config, 'LOG_LEVEL' | 'LOG_FILE'>, name = 'flashsale'): Logger {
  if (!config.LOG_FILE || config.LOG_LEVEL === 'silent') return pino({ name, level: config.LOG_LEVEL });
  const level = config.LOG_LEVEL;
  const streams = pino.multistream([
    { level, stream: pino.destination({ dest: 1, sync: true }) },
    { level, stream: pino.destination({ dest: config.LOG_FILE, mkdir: true, append: true, sync: true }) },
  ]);
  return pino({ name, level }, streams);
}
