import { pino, type Logger } from 'pino';
import type { Config } from '../config.ts';

/** Structured JSON logs on stdout. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, name = 'flashsale'): Logger {
  return pino({ name, level: config.LOG_LEVEL });
}
