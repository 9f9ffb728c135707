import Fastify from 'fastify';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPool, withTransaction } from '../../src/adapters/postgres/db.ts';
import { ServiceUnavailableError } from '../../src/domain/errors.ts';
import problem from '../../src/http/plugins/problem.ts';
import { TEST_DATABASE_URL } from '../helpers/env.ts';
import { freePort } from '../helpers/free-port.ts';

/**
 * 503 is chosen by what an error is (ServiceUnavailableError, a SQLSTATE or socket code), never by
 * the words of a driver's message: a message is not an interface, and an unrelated error that
 * happens to say "Connection terminated" is a bug (500), not an outage.
 */
describe('the problem handler and unavailable backing services', () => {
  const app = Fastify();
  const thrown = new Map<string, () => unknown>([
    ['unavailable', () => new ServiceUnavailableError('PostgreSQL', new Error('Connection terminated unexpectedly'))],
    ['admin-shutdown', () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['refused', () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    ['words-only', () => new Error('Connection terminated unexpectedly')],
  ]);
  app.register(problem);
  app.register(async (scoped) => {
    scoped.get<{ Params: { kind: string } }>('/throw/:kind', async (request) => {
      throw (thrown.get(request.params.kind) ?? (() => new Error('unknown')))();
    });
  });
  afterAll(() => app.close());

  it.each([
    ['unavailable', 503],
    ['admin-shutdown', 503],
    ['refused', 503],
    ['words-only', 500],
  ])('%s → %i', async (kind, status) => {
    const res = await app.inject({ method: 'GET', url: `/throw/${kind}` });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    if (status === 503) expect(res.headers['retry-after']).toBe('1');
    expect(res.body).not.toMatch(/Connection terminated|ECONNREFUSED|administrator/);
  });
});

describe("the PostgreSQL adapter names pg's connection failures", () => {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  afterAll(() => admin.end());

  it('a refused connection is a ServiceUnavailableError, with the driver error as its cause', async () => {
    const pool = createPool({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/x`, max: 1 });
    try {
      const err = await pool.query('select 1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ServiceUnavailableError);
      expect((err as Error).cause).toMatchObject({ code: 'ECONNREFUSED' });
      await expect(withTransaction(pool, (tx) => tx.query('select 1'))).rejects.toBeInstanceOf(ServiceUnavailableError);
    } finally {
      await pool.end();
    }
  });

  it('a connection lost inside a transaction is a ServiceUnavailableError; errors the server reports keep their code', async () => {
    await admin.connect();
    const pool = createPool({ connectionString: TEST_DATABASE_URL, max: 2, applicationName: 'flashsale-unavailable-test' });
    try {
      const lost = withTransaction(pool, async (tx) => {
        const { rows } = await tx.query<{ pid: number }>('select pg_backend_pid() as pid');
        await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
        await new Promise((r) => setTimeout(r, 300));
        return tx.query('select 1');
      });
      await expect(lost).rejects.toBeInstanceOf(ServiceUnavailableError);
      const bad = await pool.query('select * from no_such_table').catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(pg.DatabaseError);
      expect(bad).toMatchObject({ code: '42P01' });
    } finally {
      await pool.end();
    }
  });
});
