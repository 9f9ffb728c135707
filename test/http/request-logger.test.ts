import Fastify from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { lazyRequestLogger } from '../../src/http/request-logger.ts';

type Line = Record<string, unknown>;

/** One request through an app whose request loggers are lazy or, as Fastify makes them, eager. */
async function linesOf(level: string, lazy: boolean): Promise<Line[]> {
  const lines: Line[] = [];
  const log = pino({ level }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
  const app = Fastify({
    loggerInstance: log,
    genReqId: () => 'req-9',
    ...(lazy ? { childLoggerFactory: lazyRequestLogger } : {}),
  });
  app.get('/', async (request, reply) => {
    request.log.debug({ step: 0 }, 'debug line');
    request.log.info({ step: 1 }, 'info line');
    reply.log.warn({ step: 2 }, 'warn line');
    request.log.child({ part: 'cart' }).error('child line');
    request.log.warn('%s and %d', 'format', 3);
    return { level: request.log.level };
  });
  const res = await app.inject({ method: 'GET', url: '/' });
  expect(res.json()).toEqual({ level });
  await app.close();
  // Times and response times differ from run to run; everything else must not.
  return lines.map(({ time: _time, responseTime: _rt, ...rest }) => rest);
}

describe('a request logger made only when a line is written', () => {
  it.each(['warn', 'info', 'debug'])(
    'writes at %s the very lines the eager child writes, each with the request id',
    async (level) => {
      const [lazy, eager] = [await linesOf(level, true), await linesOf(level, false)];
      expect(lazy).toEqual(eager);
      expect(lazy.length).toBeGreaterThan(0);
      for (const line of lazy) expect(line['reqId']).toBe('req-9');
    },
  );

  it('at warn, writes only the warn and error lines', async () => {
    expect((await linesOf('warn', true)).map((l) => l['msg'])).toEqual(['warn line', 'child line', 'format and 3']);
  });
});
